// Workload identity's token exchange against a loopback answerer playing Microsoft Entra ID
// (loopback_answerer_for_test.h): no Entra emulator is published; only the credential
// exchange is faked.
#include "storage/azure_workload_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "storage/loopback_answerer_for_test.h"

namespace mm {
namespace {

std::string WriteTokenFile(const std::string& content) {
  std::string path = (std::filesystem::temp_directory_path() /
                      StrCat("mm-wi-token-", ::getpid()))
                         .string();
  std::ofstream(path) << content;
  return path;
}

TEST(AzureWorkloadIdentityTest, ExchangesTheFederatedTokenForAStorageToken) {
  LoopbackAnswerer entra(HttpAnswer(
      200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"storage-tok"})"));
  WorkloadIdentityOptions o;
  o.authority = entra.url();
  o.tenant_id = "tenant-1";
  o.client_id = "client-1";
  o.token_file = WriteTokenFile("header.payload.signature\n");
  const int64_t before = std::time(nullptr);
  auto token = WorkloadIdentityTokenSource(o)();
  std::filesystem::remove(o.token_file);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->token, "storage-tok");
  EXPECT_GE(token->expires_on, before + 3599);
  const std::string& request = entra.request();
  EXPECT_NE(request.find("POST /tenant-1/oauth2/v2.0/token "), std::string::npos) << request;
  for (const char* part :
       {"client_id=client-1", "client_assertion=header.payload.signature&",
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
        "grant_type=client_credentials", "scope=https%3A%2F%2Fstorage.azure.com%2F.default"}) {
    EXPECT_NE(request.find(part), std::string::npos) << part << "\n" << request;
  }
}

TEST(AzureWorkloadIdentityTest, RefusalsAndAMissingFileAreNamedWithoutTheToken) {
  LoopbackAnswerer entra(HttpAnswer(
      401, R"({"error":"invalid_client","error_description":"AADSTS700024: Client assertion is not within its valid time range.\r\nTrace ID: x"})"));
  WorkloadIdentityOptions o;
  o.authority = entra.url();
  o.tenant_id = "t";
  o.client_id = "c";
  o.token_file = WriteTokenFile("secret.jwt.value");
  auto refused = WorkloadIdentityTokenSource(o)();
  std::filesystem::remove(o.token_file);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  std::string message(refused.status().message());
  EXPECT_NE(message.find("AADSTS700024"), std::string::npos) << message;
  EXPECT_EQ(message.find("Trace ID"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret.jwt.value"), std::string::npos) << message;

  o.token_file = "/nonexistent/mm-token";
  auto missing = WorkloadIdentityTokenSource(o)();
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/mm-token"), std::string::npos);
}

TEST(AzureWorkloadIdentityTest, ComesFromTheEnvironmentOnlyWhenComplete) {
  ::unsetenv("AZURE_FEDERATED_TOKEN_FILE");
  ::setenv("AZURE_TENANT_ID", "t", 1);
  ::setenv("AZURE_CLIENT_ID", "c", 1);
  EXPECT_FALSE(WorkloadIdentityFromEnvironment().has_value());
  ::setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token", 1);
  ::setenv("AZURE_AUTHORITY_HOST", "https://login.example/", 1);
  auto o = WorkloadIdentityFromEnvironment();
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->authority, "https://login.example");
  EXPECT_EQ(o->token_file, "/var/run/secrets/token");
  for (const char* name : {"AZURE_FEDERATED_TOKEN_FILE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
                           "AZURE_AUTHORITY_HOST"}) {
    ::unsetenv(name);
  }
}

}  // namespace
}  // namespace mm
