#include "sources/elasticsearch/es_endpoint.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace mm {
namespace {

TEST(EsEndpointTest, DecodesCloudIds) {
  // Elastic's documented shape: name:base64("host:port$es_uuid$kibana_uuid").
  std::string id = "my-deployment:" + absl::Base64Escape("us-east-1.aws.found.io:443$abc123$def456");
  auto url = DecodeEsCloudId(id);
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, "https://abc123.us-east-1.aws.found.io");
  url = DecodeEsCloudId("x:" + absl::Base64Escape("example.com:9243$es$kb"));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://es.example.com:9243");
  url = DecodeEsCloudId("x:" + absl::Base64Escape("example.com$es"));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://es.example.com");

  auto bad = DecodeEsCloudId("name:not base64!!");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(bad.status().message()).find("[source.es.cloudId]"), std::string::npos);
  EXPECT_FALSE(DecodeEsCloudId("n:" + absl::Base64Escape("hostonly")).ok());
}

TEST(EsEndpointTest, BaseUrls) {
  EsConnectionConfig c;
  c.urls = {"http://a:9200/", "https://b:9200"};
  auto urls = EsBaseUrls(c);
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(*urls, (std::vector<std::string>{"http://a:9200", "https://b:9200"}));
  c.urls = {"a:9200"};
  EXPECT_FALSE(EsBaseUrls(c).ok());
  c.urls = {};
  c.cloud_id = "x:" + absl::Base64Escape("h.io$u1$k1");
  urls = EsBaseUrls(c);
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ((*urls)[0], "https://u1.h.io");
}

TEST(EsEndpointTest, AuthorizationPrecedence) {
  EsConnectionConfig c;
  EXPECT_EQ(EsAuthorization(c), "");
  c.username = "elastic";
  c.password = "pw";
  EXPECT_EQ(EsAuthorization(c), "Basic " + absl::Base64Escape("elastic:pw"));
  c.service_token = "AAEAAWVsYXN0aWM";
  EXPECT_EQ(EsAuthorization(c), "Bearer AAEAAWVsYXN0aWM");
  c.service_token = "Bearer AAEAAWVsYXN0aWM";
  EXPECT_EQ(EsAuthorization(c), "Bearer AAEAAWVsYXN0aWM");
  c.api_key = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
  EXPECT_EQ(EsAuthorization(c), "ApiKey " + c.api_key);
  c.api_key = "id1:secret";
  EXPECT_EQ(EsAuthorization(c), "ApiKey " + absl::Base64Escape("id1:secret"));
}

TEST(EsEndpointTest, Fingerprints) {
  std::string hex = "AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
                    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";
  auto raw = ParseEsFingerprint(hex);
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[0]), 0xab);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[31]), 0xff);
  EXPECT_FALSE(ParseEsFingerprint("abcd").ok());
  EXPECT_FALSE(ParseEsFingerprint(std::string(64, 'g')).ok());
}

}  // namespace
}  // namespace mm
