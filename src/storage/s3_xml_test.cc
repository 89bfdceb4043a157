#include "storage/s3_xml.h"

#include <gtest/gtest.h>

namespace mm::s3xml {
namespace {

TEST(S3XmlTest, ParsesListObjectsV2Page) {
  const char* body =
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>
<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>p/a&amp;b.npy</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>p/&#233;.npy</Key><Size>0</Size></Contents>
<NextContinuationToken>tok+en/=</NextContinuationToken></ListBucketResult>)";
  auto page = ParseListObjectsV2(body);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].first, "p/a&b.npy");
  EXPECT_EQ(page->objects[0].second, 123u);
  EXPECT_EQ(page->objects[1].first, "p/\xC3\xA9.npy");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "tok+en/=");
}

TEST(S3XmlTest, LastPageAndEmptyPage) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
      "</ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(S3XmlTest, CorruptListAnswersAreDataLoss) {
  EXPECT_EQ(ParseListObjectsV2("<Contents><Size>1</Size></Contents>").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseListObjectsV2("<Contents><Key>k</Key><Size>12x</Size></Contents>")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseListObjectsV2("<IsTruncated>true</IsTruncated>").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(S3XmlTest, ParsesListMultipartUploads) {
  auto page = ParseListMultipartUploads(
      "<ListMultipartUploadsResult><Bucket>b</Bucket><KeyMarker></KeyMarker>"
      "<UploadIdMarker></UploadIdMarker><NextKeyMarker>out/c/t/x.npy</NextKeyMarker>"
      "<NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>"
      "<Upload><Key>out/a&amp;b.npy</Key><UploadId>u1</UploadId><Initiated>x</Initiated>"
      "</Upload><Upload><Key>out/c/t/x.npy</Key><UploadId>u2</UploadId></Upload>"
      "</ListMultipartUploadsResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->uploads.size(), 2u);
  EXPECT_EQ(page->uploads[0].first, "out/a&b.npy");
  EXPECT_EQ(page->uploads[0].second, "u1");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "out/c/t/x.npy");
  EXPECT_EQ(page->next_upload_id_marker, "u2");
  EXPECT_EQ(ParseListMultipartUploads("<Upload><Key>k</Key></Upload>").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseListMultipartUploads("<IsTruncated>true</IsTruncated>").status().code(),
            absl::StatusCode::kDataLoss);
  auto empty = ParseListMultipartUploads("<ListMultipartUploadsResult/>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->uploads.empty());
}

TEST(S3XmlTest, ParsesErrorBody) {
  ErrorBody e = ParseError(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket "
      "does not exist</Message><BucketName>x</BucketName></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  EXPECT_EQ(ParseError("").code, "");
}

TEST(S3XmlTest, BuildsRequestBodies) {
  EXPECT_EQ(CompleteMultipartBody({{2, "\"b\""}, {1, "\"a\""}}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;"
            "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
  EXPECT_EQ(DeleteObjectsBody({"a<b", "c"}),
            "<Delete><Quiet>true</Quiet><Object><Key>a&lt;b</Key></Object><Object><Key>c</Key>"
            "</Object></Delete>");
}

TEST(S3XmlTest, UnescapeLeavesUnknownEntities) {
  EXPECT_EQ(Unescape("a&unknown;b&#x41;&#66;&"), "a&unknown;bAB&");
  EXPECT_EQ(Escape("<&'\">"), "&lt;&amp;&apos;&quot;&gt;");
}

}  // namespace
}  // namespace mm::s3xml
