// Known answers from AWS's published material:
// - The Signature Version 4 test suite (service "service", credentials AKIDEXAMPLE),
//   https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html, now kept in
//   awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<case>/ (get-vanilla,
//   get-vanilla-query-order-key-case, post-vanilla).
// - The S3 examples (GET object with a range, PUT object with '$' in the key, GET bucket
//   lifecycle, list objects), "Examples: Signature Calculations in AWS Signature Version 4",
//   https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// - The signing-key derivation example of the AWS General Reference ("Examples of how to
//   derive a signing key for Signature Version 4", secret of the test suite, 20120215,
//   us-east-1, iam).
#include "storage/sigv4.h"

#include <gtest/gtest.h>

namespace mm::sigv4 {
namespace {

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

constexpr char kSuiteAk[] = "AKIDEXAMPLE";
constexpr char kSuiteSk[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";

constexpr char kS3Ak[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kS3Sk[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kS3Date[] = "20130524T000000Z";

Request SuiteRequest(std::string method, KeyValues query) {
  Request r;
  r.method = std::move(method);
  r.canonical_uri = "/";
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  r.payload_sha256 = kEmptySha;
  return r;
}

TEST(SigV4Test, GetVanillaEveryStep) {
  Request r = SuiteRequest("GET", {});
  std::string creq = CanonicalRequest(r);
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha));
  std::string scope = CredentialScope("20150830", "us-east-1", "service");
  EXPECT_EQ(scope, "20150830/us-east-1/service/aws4_request");
  std::string sts = StringToSign(kSuiteDate, scope, creq);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Signature(SigningKey(kSuiteSk, "20150830", "us-east-1", "service"), sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(Authorize(r, kSuiteAk, kSuiteSk, "us-east-1", "service", kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  Request r = SuiteRequest("GET", {{"Param2", "value2"}, {"Param1", "value1"}});
  EXPECT_EQ(CanonicalQueryString(r.query), "Param1=value1&Param2=value2");
  EXPECT_EQ(Authorize(r, kSuiteAk, kSuiteSk, "us-east-1", "service", kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, PostVanilla) {
  Request r = SuiteRequest("POST", {});
  EXPECT_EQ(Authorize(r, kSuiteAk, kSuiteSk, "us-east-1", "service", kSuiteDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, S3GetObjectWithRange) {
  Request r;
  r.method = "GET";
  r.canonical_uri = EncodePath("/test.txt");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha},
               {"x-amz-date", kS3Date}};
  r.payload_sha256 = kEmptySha;
  std::string creq = CanonicalRequest(r);
  EXPECT_EQ(creq, std::string("GET\n/test.txt\n\n"
                              "host:examplebucket.s3.amazonaws.com\n"
                              "range:bytes=0-9\n"
                              "x-amz-content-sha256:") +
                      kEmptySha +
                      "\n"
                      "x-amz-date:20130524T000000Z\n\n"
                      "host;range;x-amz-content-sha256;x-amz-date\n" +
                      kEmptySha);
  EXPECT_EQ(StringToSign(kS3Date, CredentialScope("20130524", "us-east-1", "s3"), creq),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(Authorize(r, kS3Ak, kS3Sk, "us-east-1", "s3", kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3PutObjectEncodesDollarInKey) {
  std::string body_sha = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(body_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  Request r;
  r.method = "PUT";
  r.canonical_uri = EncodePath("/test$file.text");
  EXPECT_EQ(r.canonical_uri, "/test%24file.text");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", kS3Date},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", body_sha}};
  r.payload_sha256 = body_sha;
  EXPECT_EQ(Authorize(r, kS3Ak, kS3Sk, "us-east-1", "s3", kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, "
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3GetBucketLifecycleNameAloneQuery) {
  Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"lifecycle", ""}};
  EXPECT_EQ(CanonicalQueryString(r.query), "lifecycle=");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", kS3Date},
               {"x-amz-content-sha256", kEmptySha}};
  r.payload_sha256 = kEmptySha;
  EXPECT_EQ(Authorize(r, kS3Ak, kS3Sk, "us-east-1", "s3", kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Test, S3ListObjects) {
  Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  EXPECT_EQ(CanonicalQueryString(r.query), "max-keys=2&prefix=J");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", kS3Date},
               {"x-amz-content-sha256", kEmptySha}};
  r.payload_sha256 = kEmptySha;
  EXPECT_EQ(Authorize(r, kS3Ak, kS3Sk, "us-east-1", "s3", kS3Date),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, DerivedSigningKey) {
  EXPECT_EQ(HexEncode(SigningKey(kSuiteSk, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, UriEncodingFollowsS3Rules) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", true), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b+c=d&e/f", true), "a%20b%2Bc%3Dd%26e%2Ff");
  EXPECT_EQ(EncodePath("/bucket/dir one/é*.npy"), "/bucket/dir%20one/%C3%A9%2A.npy");
  EXPECT_EQ(CanonicalQueryString({{"b", "x y"}, {"a", "2"}, {"a", "1"}, {"uploads", ""}}),
            "a=1&a=2&b=x%20y&uploads=");
}

TEST(SigV4Test, CanonicalHeadersTrimAndJoinRepeats) {
  KeyValues headers = {{"My-Header1", "  a   b  c "}, {"host", "h"}, {"my-header1", "z"}};
  EXPECT_EQ(CanonicalHeaders(headers), "host:h\nmy-header1:a b c,z\n");
  EXPECT_EQ(SignedHeaders(headers), "host;my-header1");
}

TEST(SigV4Test, AmzDateIsUtc) {
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(AmzDate(1369353600), "20130524T000000Z");
}

}  // namespace
}  // namespace mm::sigv4
