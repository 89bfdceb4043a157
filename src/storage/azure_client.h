// Authorized HTTP requests to one container of one Azure Blob service endpoint, over libcurl,
// with retries and Azure's error codes mapped to Status codes. The storage layer
// (azure_storage.h) builds the blob operations on top.
//
// Three ways to authorize, chosen at Create:
//   - Shared Key: the account name and its (base64) key; every request is signed.
//   - SAS: a shared access signature's query, appended to every URL; nothing is signed.
//   - Bearer: an OAuth2 token for https://storage.azure.com/ from a token source (managed
//     identity, see azure_imds.h), fetched again when it nears its expiry.
// Transient failures (connection errors, timeouts, HTTP 5xx but 501, 429, ServerBusy,
// OperationTimedOut) are retried with exponential backoff and jitter for at most the retry
// budget (retry.budgetSeconds). Neither the key, the SAS nor the token appears in a log line
// or an error message: a refusal names where the credentials came from instead.
//
// Thread-safe: each request borrows a curl handle from a pool, so connections are reused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_exchange.h"
#include "storage/sigv4.h"

namespace mm {

class CurlHandlePool;

// An OAuth2 bearer token and when it expires (seconds since the epoch; 0 = unknown).
struct BearerToken {
  std::string token;
  int64_t expires_on = 0;
};
// Fetches a fresh token; called again when the held one is within five minutes of expiry.
using BearerTokenSource = std::function<Result<BearerToken>()>;

class AzureClient {
 public:
  enum class Auth { kSharedKey, kSas, kBearer };

  struct Config {
    std::string scheme;     // "http" or "https"
    std::string host;       // "host" or "host:port"
    // "" for an account's own host (<account>.blob.core.windows.net), or the path-style
    // account segment of an emulator's URL: "/devstoreaccount1".
    std::string base_path;
    std::string account;
    std::string container;
    Auth auth = Auth::kSharedKey;
    std::string key;        // kSharedKey: the decoded account key
    std::string sas;        // kSas: the signature's query, without '?'
    BearerTokenSource token_source;  // kBearer
    // Where the credentials came from ("target.remote.ak/sk"), named in refusals.
    std::string credentials_origin = "the configured credentials";
    int64_t retry_budget_ms = 60000;
    int max_retries = -1;  // -1: only the budget limits retries
    long connect_timeout_ms = 10000;
    long stall_timeout_s = 120;
  };

  struct Request {
    std::string method;  // GET, HEAD, PUT, DELETE
    std::string blob;    // blob name; empty addresses the container
    sigv4::KeyValues query;    // raw names and values
    sigv4::KeyValues headers;  // extra headers (x-ms-range, If-Match, x-ms-blob-type, ...)
    std::string_view body;     // PUT payload; must outlive the call
    // When set, a 2xx body goes here (at most sink_capacity bytes) instead of Response::body.
    char* sink = nullptr;
    size_t sink_capacity = 0;
  };

  // status, body, lower-cased headers, sink_bytes (net/http_exchange.h).
  struct Response : HttpResponse {
    // Azure's error code: <Code> of the body, or x-ms-error-code (HEAD answers have no body).
    std::string ErrorCode() const;
  };

  // InvalidArgument for a bad scheme, an empty host, account or container.
  static Result<std::shared_ptr<AzureClient>> Create(Config config);
  ~AzureClient();

  // Sends `request`, retrying transient failures. Any HTTP status comes back as a Response;
  // a transport failure that outlasts the retries is Unavailable naming the endpoint.
  // `what` ("GET azure://container/blob") is for logs and errors.
  Result<Response> Send(const Request& request, std::string_view what) const;

  // OK for 2xx; otherwise the most specific code: NotFound (ContainerNotFound names the
  // container, account and endpoint; BlobNotFound names `what`), PermissionDenied (401/403,
  // naming where the credentials came from), FailedPrecondition (409, 412), InvalidArgument
  // (400), Unavailable (5xx, 429), ...
  Status Check(const Response& response, std::string_view what) const;

  const Config& config() const { return config_; }
  // "https://account.blob.core.windows.net" or "http://127.0.0.1:10000/devstoreaccount1".
  std::string EndpointUrl() const;
  // "azure://container/blob", for messages.
  std::string ObjectName(std::string_view blob) const;

 private:
  explicit AzureClient(Config config);
  // The Authorization header's value for kBearer, refreshing the token when needed.
  Result<std::string> BearerAuthorization() const;

  Config config_;
  std::unique_ptr<CurlHandlePool> pool_;
  struct TokenCache;
  std::unique_ptr<TokenCache> token_cache_;
};

}  // namespace mm
