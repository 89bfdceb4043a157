// The managed identity token fetch. No IMDS runs on loopback and none is published as a
// package, so a one-connection HTTP answerer (loopback_answerer_for_test.h) plays it, serving
// IMDS's documented answer format; only the credential fetch is faked (the blob requests are
// tested against Azurite).
#include "storage/azure_imds.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "storage/loopback_answerer_for_test.h"

namespace mm {
namespace {

TEST(AzureImdsTest, ParsesTheDocumentedAnswer) {
  auto t = ParseImdsToken(R"({"access_token":"eyJ0eXAi.x.y","client_id":"c",
      "expires_in":"86399","expires_on":"1764540000","ext_expires_in":"86399",
      "not_before":"1764453300","resource":"https://storage.azure.com/","token_type":"Bearer"})");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->token, "eyJ0eXAi.x.y");
  EXPECT_EQ(t->expires_on, 1764540000);
  auto numeric = ParseImdsToken(R"({"access_token":"a","expires_on":1764540001})");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->expires_on, 1764540001);
  for (const char* bad : {"", "[]", "{}", R"({"access_token":""})", "not json"}) {
    auto s = ParseImdsToken(bad);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(AzureImdsTest, AsksForAStorageTokenWithTheMetadataHeader) {
  LoopbackAnswerer imds(HttpAnswer(
      200, R"({"access_token":"tok-123","expires_on":"4102444800","token_type":"Bearer"})"));
  ImdsOptions options;
  options.endpoint = imds.url();
  options.client_id = "my-identity";
  auto token = ImdsTokenSource(options)();
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token, "tok-123");
  EXPECT_EQ(token->expires_on, 4102444800);
  const std::string& request = imds.request();
  EXPECT_NE(request.find("GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource="
                         "https%3A%2F%2Fstorage.azure.com%2F&client_id=my-identity "),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("Metadata: true"), std::string::npos) << request;
}

TEST(AzureImdsTest, ARefusalAndAnAbsentEndpointAreNamed) {
  LoopbackAnswerer imds(HttpAnswer(
      400, R"({"error":"invalid_request","error_description":"Identity not found"})"));
  ImdsOptions options;
  options.endpoint = imds.url();
  auto refused = ImdsTokenSource(options)();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("Identity not found"), std::string::npos);
  EXPECT_NE(refused.status().message().find("managed identity endpoint"), std::string::npos);

  options.endpoint = "http://127.0.0.1:1";
  auto absent = ImdsTokenSource(options)();
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(absent.status().message().find("SAS token in sk"), std::string::npos)
      << absent.status();
}

// A bearer client fetches a token once and again only when the held one is within five
// minutes of its expiry.
TEST(AzureImdsTest, TheClientRefreshesATokenNearItsExpiry) {
  int fetches = 0;
  int64_t expires_on = std::time(nullptr) + 60;  // inside the margin: used once
  AzureClient::Config config;
  config.scheme = "http";
  config.host = "127.0.0.1:1";
  config.account = "a";
  config.container = "c";
  config.auth = AzureClient::Auth::kBearer;
  config.retry_budget_ms = 0;
  config.max_retries = 0;
  config.token_source = [&]() -> Result<BearerToken> {
    ++fetches;
    return BearerToken{StrCat("t", fetches), expires_on};
  };
  auto client = AzureClient::Create(config);
  ASSERT_TRUE(client.ok());
  AzureClient::Request request;
  request.method = "GET";
  (void)(*client)->Send(request, "first");
  (void)(*client)->Send(request, "second");
  EXPECT_EQ(fetches, 2);
  expires_on = std::time(nullptr) + 3600;
  (void)(*client)->Send(request, "third");
  (void)(*client)->Send(request, "fourth");
  (void)(*client)->Send(request, "fifth");
  EXPECT_EQ(fetches, 3);
}

}  // namespace
}  // namespace mm
