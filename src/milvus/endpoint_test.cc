#include "milvus/endpoint.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(MilvusEndpointTest, HostPort) {
  auto ep = ParseMilvusEndpoint("127.0.0.1:19530");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "127.0.0.1:19530");
  EXPECT_FALSE(ep->tls);
}

TEST(MilvusEndpointTest, HttpSchemeIsPlain) {
  auto ep = ParseMilvusEndpoint("http://milvus.local:19531/");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "milvus.local:19531");
  EXPECT_FALSE(ep->tls);
}

TEST(MilvusEndpointTest, HttpsMeansTlsAndDefaults443) {
  auto ep = ParseMilvusEndpoint("HTTPS://in01-abc.zillizcloud.com");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "in01-abc.zillizcloud.com:443");
  EXPECT_TRUE(ep->tls);
}

TEST(MilvusEndpointTest, NoPortDefaults19530) {
  auto ep = ParseMilvusEndpoint("localhost");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "localhost:19530");
}

TEST(MilvusEndpointTest, Ipv6InBrackets) {
  auto ep = ParseMilvusEndpoint("[::1]:19530");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "[::1]:19530");
  auto bare = ParseMilvusEndpoint("http://[::1]");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->target, "[::1]:19530");
}

TEST(MilvusEndpointTest, Rejects) {
  for (const char* bad : {"", "   ", "ftp://h:1", "h:", "h:0", "h:65536", "h:12x", "::1:19530",
                          "http://h:1/path", "[::1", ":19530"}) {
    auto ep = ParseMilvusEndpoint(bad);
    EXPECT_EQ(ep.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  auto ep = ParseMilvusEndpoint("h:99999");
  EXPECT_NE(std::string(ep.status().message()).find("h:99999"), std::string::npos);
}

TEST(MilvusEndpointTest, UserinfoBecomesCredentialsAndNeverTheTarget) {
  auto ep = ParseMilvusEndpoint("http://root:Pa%40ss@w0rd@milvus.local:19531");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->target, "milvus.local:19531");
  EXPECT_EQ(ep->username, "root");
  EXPECT_EQ(ep->password, "Pa@ss@w0rd");
  auto bare = ParseMilvusEndpoint("tok3n@10.0.0.1");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->target, "10.0.0.1:19530");
  EXPECT_EQ(bare->username, "tok3n");
  EXPECT_EQ(bare->password, "");
}

TEST(MilvusEndpointTest, ErrorsNeverQuoteThePassword) {
  for (const char* bad : {"http://root:S3cr3tPw@h:99999", "ftp://root:S3cr3tPw@h:1",
                          "root:S3cr3tPw@h:1/path", "root:S3cr3tPw@"}) {
    auto ep = ParseMilvusEndpoint(bad);
    ASSERT_FALSE(ep.ok()) << bad;
    EXPECT_EQ(std::string(ep.status().message()).find("S3cr3tPw"), std::string::npos)
        << ep.status();
  }
}

}  // namespace
}  // namespace mm
