// The managed identity token fetch. No IMDS runs on loopback and none is published as a
// package, so a one-connection HTTP answerer in this file plays it, serving IMDS's documented
// answer format; only the credential fetch is faked (the blob requests are tested against
// Azurite).
#include "storage/azure_imds.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace mm {
namespace {

// Listens on a free loopback port, answers one request with `answer`, records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(fd_, 1), 0);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n > 0) request_.assign(buf, static_cast<size_t>(n));
      ::send(c, answer_.data(), answer_.size(), 0);
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return StrCat("http://127.0.0.1:", port_); }
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  std::string answer_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

std::string HttpAnswer(int status, const std::string& body) {
  return StrCat("HTTP/1.1 ", status, " X\r\nContent-Type: application/json\r\nContent-Length: ",
                body.size(), "\r\nConnection: close\r\n\r\n", body);
}

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
  OneShotServer imds(HttpAnswer(
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
  OneShotServer imds(HttpAnswer(
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
