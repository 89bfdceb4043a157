#include "storage/azure_shared_key.h"

#include <gtest/gtest.h>

namespace mm::azure {
namespace {

// Azurite's (and the old storage emulator's) account key, published by Microsoft.
constexpr std::string_view kEmulatorKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// "Authorize with Shared Key", section "Canonicalized resource string": the examples of
// Get Container Metadata, List Blobs and Get Blob (secondary location).
TEST(AzureSharedKeyTest, CanonicalizedResourceMatchesMicrosoftsExamples) {
  EXPECT_EQ(CanonicalizedResource("myaccount", "/mycontainer",
                                  {{"restype", "container"}, {"comp", "metadata"}}),
            "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
  EXPECT_EQ(CanonicalizedResource("myaccount", "/mycontainer",
                                  {{"restype", "container"},
                                   {"comp", "list"},
                                   {"include", "snapshots"},
                                   {"include", "metadata"},
                                   {"include", "uncommittedblobs"}}),
            "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\n"
            "restype:container");
  EXPECT_EQ(CanonicalizedResource("myaccount", "/mycontainer/myblob", {}),
            "/myaccount/mycontainer/myblob");
  // Names are lower-cased (and sorted after that), values kept raw.
  EXPECT_EQ(CanonicalizedResource("a", "/c", {{"Prefix", "x/y z"}, {"MaxResults", "5"}}),
            "/a/c\nmaxresults:5\nprefix:x/y z");
}

// The page's string-to-sign example for Get Container Metadata (version 2015-02-21), and its
// signature under the emulator's published key as the Python SDK's sign_string computes it.
TEST(AzureSharedKeyTest, StringToSignMatchesMicrosoftsExample) {
  SignedRequest r;
  r.method = "GET";
  r.encoded_path = "/mycontainer";
  r.query = {{"restype", "container"}, {"comp", "metadata"}, {"timeout", "20"}};
  r.headers = {{"x-ms-version", "2015-02-21"}, {"x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"}};
  const std::string expected =
      "GET\n\n\n\n\n\n\n\n\n\n\n\n"
      "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n"
      "/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20";
  EXPECT_EQ(StringToSign(r, "myaccount"), expected);
  auto key = DecodeAccountKey(kEmulatorKey, "target.remote.sk");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 64u);
  EXPECT_EQ(Signature(*key, expected), "1u9lui2jDxj0+fpbHjQ5m5NnastJRSYM+PSmfi8TXx4=");
}

// A Put Block on the emulator's path-style URL, signed by azure-storage-blob 12.31's
// SharedKeyCredentialPolicy: the account twice in the resource, the path kept encoded, the
// block id decoded, Content-Length and If-Match in their lines.
TEST(AzureSharedKeyTest, AuthorizationMatchesThePythonSdk) {
  SignedRequest r;
  r.method = "PUT";
  r.encoded_path = "/devstoreaccount1/c/dir/a%20b.npy";
  r.query = {{"comp", "block"}, {"blockid", "bW0tMDAwMDAwMDE="}};
  r.headers = {{"x-ms-date", "Mon, 30 Nov 2026 17:00:00 GMT"},
               {"x-ms-version", "2021-12-02"},
               {"If-Match", "\"0x8D\""}};
  r.content_length = 5;
  auto key = DecodeAccountKey(kEmulatorKey, "target.remote.sk");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(AuthorizationHeader(r, "devstoreaccount1", *key),
            "SharedKey devstoreaccount1:wzDqb7DZUjt53o1axozbCNRB0Jj5xtthBxWRlOARrHw=");
}

TEST(AzureSharedKeyTest, CanonicalizedHeadersFoldAndSort) {
  EXPECT_EQ(CanonicalizedHeaders({{"X-MS-Version", " 2021-12-02 "},
                                  {"Content-Type", "text/plain"},
                                  {"x-ms-blob-type", "BlockBlob"},
                                  {"x-ms-meta-a", "one   two"}}),
            "x-ms-blob-type:BlockBlob\nx-ms-meta-a:one two\nx-ms-version:2021-12-02\n");
}

TEST(AzureSharedKeyTest, DecodeAccountKeyRefusesNonBase64WithoutQuotingIt) {
  EXPECT_EQ(*DecodeAccountKey("aGVsbG8=", "k"), "hello");
  EXPECT_EQ(*DecodeAccountKey("aGk=", "k"), "hi");
  for (std::string_view bad : {"", "abc", "a$c=", "a=bc", "not a key!!!"}) {
    auto s = DecodeAccountKey(bad, "target.remote.sk");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(s.status().message());
    EXPECT_NE(message.find("[target.remote.sk]"), std::string::npos);
    if (!bad.empty()) {
      EXPECT_EQ(message.find(bad), std::string::npos) << bad;
    }
  }
}

TEST(AzureSharedKeyTest, HttpDateIsRfc1123InGmt) {
  EXPECT_EQ(HttpDate(1255297753), "Sun, 11 Oct 2009 21:49:13 GMT");
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(AzureSharedKeyTest, RecognisesSasTokens) {
  EXPECT_TRUE(IsSasToken("sv=2021-12-02&sr=c&sp=rwdl&se=2030-01-01&sig=abc%3D"));
  EXPECT_TRUE(IsSasToken("?se=2030&sp=r&sv=2021&sr=b&sig=x"));
  EXPECT_FALSE(IsSasToken("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq=="));
  EXPECT_FALSE(IsSasToken("sv=2021-12-02"));
  EXPECT_FALSE(IsSasToken("xsv=1&xsig=2"));
}

}  // namespace
}  // namespace mm::azure
