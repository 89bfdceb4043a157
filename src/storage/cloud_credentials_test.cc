#include "storage/cloud_credentials.h"

#include <gtest/gtest.h>

#include <chrono>

namespace mm {
namespace {

using std::chrono::seconds;

// The shape of EC2 IMDS's iam/security-credentials/<role> answer (AWS's documented example).
TEST(CloudCredentialsTest, ReadsTheEc2InstanceCredentials) {
  auto c = ParseInstanceCredentialsJson(R"({
    "Code" : "Success",
    "LastUpdated" : "2012-04-26T16:39:16Z",
    "Type" : "AWS-HMAC",
    "AccessKeyId" : "ASIAIOSFODNN7EXAMPLE",
    "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Token" : "token",
    "Expiration" : "2017-05-17T15:09:54Z"
  })", "IMDS");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(c->secret_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(c->session_token, "token");
  ASSERT_TRUE(c->expires.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*c->expires), 1495033794);
}

// The ECS RAM-role answer names its fields differently.
TEST(CloudCredentialsTest, ReadsTheEcsRamRoleCredentials) {
  auto c = ParseInstanceCredentialsJson(R"({"AccessKeyId":"STS.x","AccessKeySecret":"s",
      "Expiration":"2030-01-01T00:00:00Z","SecurityToken":"t","LastUpdated":"x",
      "Code":"Success"})", "ECS");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->secret_key, "s");
  EXPECT_EQ(c->session_token, "t");
  auto refused = ParseInstanceCredentialsJson(R"({"Code":"Failure"})", "ECS");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(CloudCredentialsTest, ReadsAssumeRoleWithWebIdentity) {
  auto c = ParseAssumeRoleWithWebIdentity(
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<SessionToken>st</SessionToken><SecretAccessKey>sk</SecretAccessKey>"
      "<Expiration>2014-10-24T23:00:23Z</Expiration><AccessKeyId>ak</AccessKeyId>"
      "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
      200, "STS");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key, "ak");
  EXPECT_EQ(c->session_token, "st");
  auto refused = ParseAssumeRoleWithWebIdentity(
      "<ErrorResponse><Error><Code>ExpiredTokenException</Code><Message>Token expired"
      "</Message></Error></ErrorResponse>", 400, "STS");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(refused.status().message()).find("ExpiredTokenException"),
            std::string::npos);
}

TEST(CloudCredentialsTest, ReadsAnOAuth2TokenAndItsLifetime) {
  const auto now = std::chrono::system_clock::from_time_t(1000);
  auto c = ParseOAuth2TokenJson(R"({"access_token":"ya29.x","expires_in":3599,
      "token_type":"Bearer"})", 200, now, "metadata");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->bearer_token, "ya29.x");
  EXPECT_EQ(*c->expires, now + seconds(3599));
  auto refused = ParseOAuth2TokenJson(
      R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})", 400, now,
      "token endpoint");
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(std::string(refused.status().message()).find("Invalid JWT Signature"),
            std::string::npos);
}

TEST(CloudCredentialsTest, ServiceAccountAssertionNeedsAServiceAccountKey) {
  auto wrong = ServiceAccountAssertion(R"({"type":"authorized_user"})",
                                       std::chrono::system_clock::now(), "key.json");
  ASSERT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(wrong.status().message()).find("key.json"), std::string::npos);
}

// Credentials are fetched once, kept while they have more than the margin left, and fetched
// again inside it: a long run never signs with an expired key.
TEST(CloudCredentialsTest, RefreshesBeforeExpiry) {
  auto now = std::chrono::system_clock::from_time_t(1'000'000);
  int serial = 0;
  RefreshingCredentialProvider provider(
      [&]() -> Result<Credentials> {
        Credentials c;
        c.access_key = "k" + std::to_string(++serial);
        c.secret_key = "s";
        c.expires = now + seconds(3600);
        return c;
      },
      "test", seconds(300), [&] { return now; });
  EXPECT_EQ(provider.Get()->access_key, "k1");
  now += seconds(3000);  // 600 s left: still good
  EXPECT_EQ(provider.Get()->access_key, "k1");
  now += seconds(400);  // 200 s left: inside the margin
  EXPECT_EQ(provider.Get()->access_key, "k2");
  EXPECT_EQ(provider.fetches(), 2);
}

TEST(CloudCredentialsTest, TcHasNoInstanceIdentityHere) {
  auto p = IamCredentialProvider("tc", "target.remote");
  ASSERT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(p.status().message()).find("target.remote.ak"), std::string::npos);
}

}  // namespace
}  // namespace mm
