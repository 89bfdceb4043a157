// AzureClient's error mapping and retry budget, without a server (a closed port); the
// requests themselves are tested against Azurite in azure_storage_test.cc.
#include "storage/azure_client.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

std::shared_ptr<AzureClient> MakeClient(AzureClient::Auth auth = AzureClient::Auth::kSharedKey,
                                        std::string host = "127.0.0.1:1") {
  AzureClient::Config config;
  config.scheme = "http";
  config.host = std::move(host);
  config.base_path = "/acct";
  config.account = "acct";
  config.container = "box";
  config.auth = auth;
  config.key = "k";
  config.sas = "sv=2021-12-02&sr=c&sp=rl&sig=SECRETSIG%3D";
  config.credentials_origin = "target.remote.ak/sk";
  config.retry_budget_ms = 600;
  auto client = AzureClient::Create(config);
  EXPECT_TRUE(client.ok()) << client.status();
  return *client;
}

AzureClient::Response Answer(long status, std::string code, std::string message = "") {
  AzureClient::Response r;
  r.status = status;
  if (!message.empty()) {
    r.body = StrCat("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>", code,
                    "</Code><Message>", message, "\nRequestId:1\nTime:2026</Message></Error>");
  } else {
    r.headers = {{"x-ms-error-code", code}};  // a HEAD answer: no body
  }
  return r;
}

TEST(AzureClientTest, NamesAreAzureUrls) {
  auto client = MakeClient();
  EXPECT_EQ(client->EndpointUrl(), "http://127.0.0.1:1/acct");
  EXPECT_EQ(client->ObjectName(""), "azure://box");
  EXPECT_EQ(client->ObjectName("a/b.npy"), "azure://box/a/b.npy");
}

TEST(AzureClientTest, ErrorCodesMapToSpecificStatuses) {
  auto client = MakeClient();
  Status missing = client->Check(Answer(404, "ContainerNotFound", "The specified container does "
                                                                   "not exist."),
                                 "Get Blob azure://box/x");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("Azure container 'box' does not exist in storage account "
                                   "'acct'"),
            std::string::npos)
      << missing;
  Status head = client->Check(Answer(404, "ContainerNotFound"), "HEAD");
  EXPECT_EQ(head.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(head.message().find("'box'"), std::string::npos);

  Status blob = client->Check(Answer(404, "BlobNotFound", "The specified blob does not exist."),
                              "Get Blob azure://box/x");
  EXPECT_EQ(blob.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(blob.message().find("azure://box/x"), std::string::npos);
  EXPECT_EQ(blob.message().find("RequestId"), std::string::npos) << "only the first line";

  Status refused = client->Check(Answer(403, "AuthenticationFailed"), "List Blobs azure://box");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("refused the Shared Key of target.remote.ak/sk for List "
                                   "Blobs azure://box"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.message().find("the key does not match"), std::string::npos);

  Status perm = client->Check(Answer(403, "AuthorizationPermissionMismatch", "no write"), "Put");
  EXPECT_NE(perm.message().find("lack a permission"), std::string::npos) << perm;

  EXPECT_EQ(client->Check(Answer(412, "ConditionNotMet", "x"), "Put").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->Check(Answer(409, "BlobAlreadyExists", "x"), "Put").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->Check(Answer(416, "InvalidRange", "x"), "Get").code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(client->Check(Answer(400, "InvalidQueryParameterValue", "x"), "Get").code(),
            absl::StatusCode::kInvalidArgument);
  Status busy = client->Check(Answer(503, "ServerBusy", "slow down"), "Put Block 3");
  EXPECT_EQ(busy.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(busy.message().find("retry.budgetSeconds"), std::string::npos);
}

TEST(AzureClientTest, ASasRefusalNeverQuotesTheSas) {
  auto client = MakeClient(AzureClient::Auth::kSas);
  Status s = client->Check(
      Answer(403, "AuthenticationFailed",
             "Signature did not match: sv=2021-12-02&sr=c&sp=rl&sig=SECRETSIG%3D"),
      "List Blobs azure://box");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("refused the SAS token of target.remote.ak/sk"), std::string::npos);
  EXPECT_NE(s.message().find("invalid, expired"), std::string::npos);
  EXPECT_EQ(s.message().find("SECRETSIG"), std::string::npos) << s;
}

TEST(AzureClientTest, AnUnreachableEndpointFailsWithinTheBudget) {
  for (auto auth : {AzureClient::Auth::kSharedKey, AzureClient::Auth::kSas}) {
    auto client = MakeClient(auth);
    AzureClient::Request request;
    request.method = "GET";
    request.blob = "a.npy";
    auto response = client->Send(request, "Get Blob azure://box/a.npy");
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
    std::string message(response.status().message());
    EXPECT_NE(message.find("cannot reach Azure Blob endpoint http://127.0.0.1:1/acct for Get "
                           "Blob azure://box/a.npy"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("retry.budgetSeconds"), std::string::npos) << message;
    EXPECT_EQ(message.find("SECRETSIG"), std::string::npos) << message;
  }
}

TEST(AzureClientTest, CreateRefusesIncompleteConfigs) {
  AzureClient::Config config;
  config.scheme = "ftp";
  EXPECT_EQ(AzureClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
  config.scheme = "https";
  config.host = "h";
  config.account = "a";
  config.container = "c";
  config.auth = AzureClient::Auth::kBearer;
  EXPECT_EQ(AzureClient::Create(config).status().code(), absl::StatusCode::kInvalidArgument)
      << "a bearer client needs a token source";
}

}  // namespace
}  // namespace mm
