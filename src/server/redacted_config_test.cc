#include "server/redacted_config.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(RedactedConfigTest, MasksCredentialKeysAndUrls) {
  const std::string yaml = R"(
source:
  es:
    urls: [http://elastic:hunter2@es:9200]
    username: elastic
    password: hunter2
    apiKey: k3y
target:
  mode: remote
  remote:
    ak: AKIA123
    sk: s3cr3t
    accessKeyID: AKIA456
    secretAccessKey: s3cr3t2
  milvus2x:
    endpoint: localhost:19530
    password: pw9
)";
  auto r = RedactConfigText(yaml, "test");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->changed);
  for (const char* secret : {"hunter2", "k3y", "AKIA123", "s3cr3t", "AKIA456", "s3cr3t2", "pw9"}) {
    EXPECT_EQ(r->yaml.find(secret), std::string::npos) << secret << " in\n" << r->yaml;
  }
  EXPECT_NE(r->yaml.find("localhost:19530"), std::string::npos);
  EXPECT_NE(r->yaml.find("username: elastic"), std::string::npos);
  EXPECT_NE(r->yaml.find("es:9200"), std::string::npos);
}

TEST(RedactedConfigTest, AConfigWithoutSecretsIsUnchangedInMeaning) {
  auto r = RedactConfigText("target:\n  milvus2x:\n    endpoint: h:19530\n", "test");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->changed);
}

TEST(RedactedConfigTest, NotYamlIsInvalidArgumentNamingTheOrigin) {
  auto r = RedactConfigText("a: [1, 2", "config (in the request)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("config (in the request)"), std::string::npos);
}

}  // namespace
}  // namespace mm
