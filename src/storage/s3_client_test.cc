// S3Client against a scripted loopback HTTP server: retries, error mapping and the headers
// it signs, without a real object store.
#include "storage/s3_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

namespace mm {
namespace {

// Answers each connection's one request with the next scripted response, then closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::deque<std::string> responses) : responses_(std::move(responses)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static std::string Reply(int status, std::string body, std::string extra_headers = "") {
    return StrCat("HTTP/1.1 ", status, " X\r\nContent-Length: ", body.size(),
                  "\r\nConnection: close\r\n", extra_headers, "\r\n", body);
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[65536];
      size_t need = std::string::npos;
      while (true) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        size_t end = request.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          size_t length = 0;
          size_t at = request.find("Content-Length: ");
          if (at != std::string::npos && at < end) length = std::stoul(request.substr(at + 16));
          need = end + 4 + length;
        }
        if (need != std::string::npos && request.size() >= need) break;
      }
      std::string response;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
        response = responses_.empty() ? Reply(500, "script exhausted") : responses_.front();
        if (!responses_.empty()) responses_.pop_front();
      }
      // "DELAY <ms>\n" in front of a response: answer that much later.
      if (response.rfind("DELAY ", 0) == 0) {
        const size_t eol = response.find('\n');
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(response.substr(6))));
        response.erase(0, eol + 1);
      }
      ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<std::string> responses_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::shared_ptr<S3Client> ClientFor(const ScriptedServer& server, int retries) {
  S3Client::Config config;
  config.scheme = "http";
  config.host = StrCat("127.0.0.1:", server.port());
  config.region = "us-east-1";
  config.bucket = "bkt";
  config.access_key = "AKTEST";
  config.secret_key = "SECRET-never-shown";
  config.credentials_origin = "target.remote.ak/sk";
  config.max_retries = retries;
  auto client = S3Client::Create(config);
  EXPECT_TRUE(client.ok());
  return *client;
}

TEST(S3ClientTest, RetriesSlowDownThenSucceeds) {
  std::string slow = "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>";
  ScriptedServer server({ScriptedServer::Reply(503, slow), ScriptedServer::Reply(503, slow),
                         ScriptedServer::Reply(200, "", "ETag: \"e1\"\r\n")});
  auto client = ClientFor(server, 3);
  S3Client::Request request;
  request.method = "PUT";
  request.key = "dir/a b.npy";
  request.body = "payload";
  auto response = client->Send(request, "PUT s3://bkt/dir/a b.npy");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("etag"), "\"e1\"");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  const std::string& first = seen[0];
  EXPECT_EQ(first.rfind("PUT /bkt/dir/a%20b.npy HTTP/1.1\r\n", 0), 0u) << first;
  EXPECT_NE(first.find(StrCat("Host: 127.0.0.1:", server.port(), "\r\n")), std::string::npos)
      << first;
  EXPECT_NE(first.find("Authorization: AWS4-HMAC-SHA256 Credential=AKTEST/"), std::string::npos);
  EXPECT_NE(first.find("x-amz-content-sha256: "
                       "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5"),
            std::string::npos)
      << first;
  EXPECT_EQ(first.find("SECRET"), std::string::npos);
  EXPECT_EQ(first.find("Expect:"), std::string::npos);
  EXPECT_NE(first.find("\r\n\r\npayload"), std::string::npos);
}

TEST(S3ClientTest, PersistentServerErrorsBecomeUnavailable) {
  ScriptedServer server({ScriptedServer::Reply(500, ""), ScriptedServer::Reply(500, ""),
                         ScriptedServer::Reply(500, "")});
  auto client = ClientFor(server, 2);
  S3Client::Request request;
  request.method = "GET";
  request.key = "k";
  auto response = client->Send(request, "GET s3://bkt/k");
  ASSERT_TRUE(response.ok());
  Status s = client->Check(*response, "GET s3://bkt/k");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3ClientTest, ClientErrorsAreNotRetriedAndMapped) {
  ScriptedServer server(
      {ScriptedServer::Reply(404, "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>"),
       ScriptedServer::Reply(404, "<Error><Code>NoSuchBucket</Code></Error>"),
       ScriptedServer::Reply(403, "<Error><Code>InvalidAccessKeyId</Code><Message>The key "
                                  "AKTEST is not known</Message></Error>"),
       ScriptedServer::Reply(301, "<Error><Code>PermanentRedirect</Code></Error>",
                             "x-amz-bucket-region: eu-west-1\r\n")});
  auto client = ClientFor(server, 5);
  S3Client::Request request;
  request.method = "GET";
  request.key = "k";
  auto check = [&] {
    auto response = client->Send(request, "GET s3://bkt/k");
    EXPECT_TRUE(response.ok());
    return client->Check(*response, "GET s3://bkt/k");
  };
  EXPECT_EQ(check().code(), absl::StatusCode::kNotFound);
  Status bucket = check();
  EXPECT_EQ(bucket.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(bucket.message()).find("bucket 'bkt' does not exist"), std::string::npos);
  Status denied = check();
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  // Neither key is shown; the message says where they came from.
  EXPECT_EQ(std::string(denied.message()).find("AKTEST"), std::string::npos) << denied;
  EXPECT_EQ(std::string(denied.message()).find("SECRET"), std::string::npos);
  EXPECT_NE(std::string(denied.message()).find("target.remote.ak/sk"), std::string::npos)
      << denied;
  Status region = check();
  EXPECT_EQ(region.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(region.message()).find("eu-west-1"), std::string::npos) << region;
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(S3ClientTest, RangedGetAnsweredWithWholeObjectIsCut) {
  ScriptedServer server({ScriptedServer::Reply(200, "0123456789abcdef")});
  auto client = ClientFor(server, 0);
  char buf[4];
  S3Client::Request request;
  request.method = "GET";
  request.key = "k";
  request.headers = {{"range", "bytes=10-13"}};
  request.sink = buf;
  request.sink_capacity = sizeof(buf);
  request.skip_if_whole = 10;
  auto response = client->Send(request, "GET s3://bkt/k");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->sink_bytes, 4u);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_NE(server.requests()[0].find("range: bytes=10-13"), std::string::npos);
}

TEST(S3ClientTest, OversizedPartialAnswerIsDataLoss) {
  ScriptedServer server({ScriptedServer::Reply(206, "0123456789")});
  auto client = ClientFor(server, 3);
  char buf[4];
  S3Client::Request request;
  request.method = "GET";
  request.key = "k";
  request.sink = buf;
  request.sink_capacity = sizeof(buf);
  auto response = client->Send(request, "GET s3://bkt/k");
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDataLoss);
}

// Without a retry limit, a refused connection is retried until the budget runs out, and
// the error names the budget's key.
TEST(S3ClientTest, UnreachableEndpointGivesUpWhenTheBudgetRunsOut) {
  int port = 0;
  {
    ScriptedServer closed({});  // a port that was just free; nothing listens once it closes
    port = closed.port();
  }
  S3Client::Config config;
  config.scheme = "http";
  config.host = StrCat("127.0.0.1:", port);
  config.region = "us-east-1";
  config.bucket = "bkt";
  config.access_key = "AKTEST";
  config.secret_key = "SECRET";
  config.retry_budget_ms = 1500;
  auto client = S3Client::Create(config);
  ASSERT_TRUE(client.ok());
  S3Client::Request request;
  request.method = "HEAD";
  const auto start = std::chrono::steady_clock::now();
  auto response = (*client)->Send(request, "HEAD bucket s3://bkt");
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(response.status().message()).find("retry.budgetSeconds"),
            std::string::npos)
      << response.status();
  EXPECT_GE(took, 1.4);
  EXPECT_LT(took, 4.0);
}

// The budget counts from the first failure, not from the start of the request: an answer
// that failed only after a long transfer is still retried.
TEST(S3ClientTest, BudgetStartsAtTheFirstFailure) {
  ScriptedServer server({"DELAY 1500\n" + ScriptedServer::Reply(503, ""),
                         ScriptedServer::Reply(200, "ok")});
  S3Client::Config config;
  config.scheme = "http";
  config.host = StrCat("127.0.0.1:", server.port());
  config.region = "us-east-1";
  config.bucket = "bkt";
  config.access_key = "AKTEST";
  config.secret_key = "SECRET";
  config.retry_budget_ms = 1000;
  auto client = S3Client::Create(config);
  ASSERT_TRUE(client.ok());
  S3Client::Request request;
  request.method = "GET";
  request.key = "k";
  auto response = (*client)->Send(request, "GET s3://bkt/k");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(server.requests().size(), 2u);
}

// GCS, OSS and COS address the bucket in the Host name: the request line holds only the key,
// and the signature covers that Host (curl resolves *.localhost to the loopback itself).
TEST(S3ClientTest, VirtualHostPutsTheBucketInTheHostName) {
  ScriptedServer server({ScriptedServer::Reply(200, "")});
  S3Client::Config config;
  config.scheme = "http";
  config.host = StrCat("localhost:", server.port());
  config.region = "auto";
  config.bucket = "bkt";
  config.access_key = "GOOGHMAC";
  config.secret_key = "SECRET-never-shown";
  config.virtual_host = true;
  config.cloud = "gcp";
  config.url_scheme = "gs";
  auto client = S3Client::Create(config);
  ASSERT_TRUE(client.ok());
  S3Client::Request request;
  request.method = "GET";
  request.key = "dir/a.npy";
  auto response = (*client)->Send(request, "GET gs://bkt/dir/a.npy");
  ASSERT_TRUE(response.ok()) << response.status();
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rfind("GET /dir/a.npy HTTP/1.1\r\n", 0), 0u) << seen[0];
  EXPECT_NE(seen[0].find(StrCat("Host: bkt.localhost:", server.port(), "\r\n")),
            std::string::npos)
      << seen[0];
  EXPECT_NE(seen[0].find("Credential=GOOGHMAC/"), std::string::npos) << seen[0];
  EXPECT_NE(seen[0].find("/auto/s3/aws4_request"), std::string::npos) << seen[0];
  EXPECT_EQ((*client)->ObjectName("k"), "gs://bkt/k");
}

// A provider's bearer token (GCS with useIAM) is sent as such, unsigned; a provider's session
// token goes out as x-amz-security-token; neither is ever shown in an error.
TEST(S3ClientTest, SendsTheProvidersBearerOrSessionToken) {
  ScriptedServer server({ScriptedServer::Reply(200, ""),
                         ScriptedServer::Reply(401, "<Error><Code>AuthenticationRequired</Code>"
                                                    "<Message>tok-SECRET bad</Message></Error>"),
                         ScriptedServer::Reply(200, "")});
  Credentials bearer;
  bearer.bearer_token = "tok-SECRET";
  S3Client::Config config;
  config.scheme = "http";
  config.host = StrCat("127.0.0.1:", server.port());
  config.region = "auto";
  config.bucket = "bkt";
  config.max_retries = 0;
  config.cloud = "gcp";
  config.credentials = std::make_shared<StaticCredentialProvider>(bearer, "the GCE metadata");
  auto client = S3Client::Create(config);
  ASSERT_TRUE(client.ok());
  S3Client::Request request;
  request.method = "HEAD";
  request.key = "a";
  ASSERT_TRUE((*client)->Send(request, "HEAD gs://bkt/a").ok());
  auto refused = (*client)->Send(request, "HEAD gs://bkt/a");
  ASSERT_TRUE(refused.ok());
  Status status = (*client)->Check(*refused, "HEAD gs://bkt/a");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  const std::string msg(status.message());
  EXPECT_EQ(msg.find("tok-SECRET"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the GCE metadata"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cloud gcp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gs://bkt/a"), std::string::npos) << msg;

  Credentials session;
  session.access_key = "ASIA1";
  session.secret_key = "s";
  session.session_token = "sess";
  S3Client::Config aws = config;
  aws.cloud = "aws";
  aws.credentials = std::make_shared<StaticCredentialProvider>(session, "IMDS");
  auto aws_client = S3Client::Create(aws);
  ASSERT_TRUE(aws_client.ok());
  ASSERT_TRUE((*aws_client)->Send(request, "HEAD s3://bkt/a").ok());
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0].find("Authorization: Bearer tok-SECRET\r\n"), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0].find("x-amz-date"), std::string::npos) << seen[0];
  EXPECT_NE(seen[2].find("x-amz-security-token: sess\r\n"), std::string::npos) << seen[2];
  EXPECT_NE(seen[2].find("Credential=ASIA1/"), std::string::npos) << seen[2];
}

}  // namespace
}  // namespace mm
