// One HTTP request to an object store over libcurl, retried within a time budget: what the
// S3 and Azure Blob clients share below their signing. A client describes each attempt
// (URL, signed headers, body) and says which answers are transient; this file moves the
// bytes, times the attempts and backs off between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "net/curl_handle_pool.h"

namespace mm {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What one attempt sends. The client builds it afresh per attempt, since signatures carry
// the time (and a credential provider may have rotated its keys).
struct HttpAttempt {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // scheme://host/path?query, already encoded
  HttpHeaders headers;  // sent as given, plus "Expect:" (no 100-continue round trip)
  // Headers to leave out that curl would add by itself ("Content-Type" for a PUT body).
  std::vector<std::string> suppressed_headers;
  std::string_view body;  // PUT/POST payload; must outlive the call
  // When set, a 2xx body goes here (at most sink_capacity bytes) instead of into
  // HttpResponse::body: ranged reads land in the caller's buffer without a copy.
  char* sink = nullptr;
  size_t sink_capacity = 0;
  // For a ranged GET answered with the whole object (200): bytes to skip first, then the
  // transfer stops once the sink is full.
  uint64_t skip_if_whole = 0;
};

struct HttpResponse {
  long status = 0;
  std::string body;     // error bodies, XML answers
  HttpHeaders headers;  // names lower-cased
  size_t sink_bytes = 0;  // bytes written to HttpAttempt::sink

  // The first header with this lower-case name, or "".
  std::string Header(std::string_view name) const;
};

struct HttpRetryPolicy {
  // Retries stop once this long has passed since the first failure (counted from the start
  // of its attempt when it never connected, else from its end).
  int64_t budget_ms = 60000;
  int max_retries = -1;  // -1: only the budget limits retries
  long connect_timeout_ms = 10000;
  long stall_timeout_s = 120;  // give up on a transfer moving < 1 byte/s this long
  // The config key that sets budget_ms, named when it runs out.
  std::string budget_key = "retry.budgetSeconds";
};

// Who is being called, for messages: "S3 endpoint http://host:port".
struct HttpPeer {
  std::string service;   // "S3", "Azure Blob"
  std::string endpoint;  // "http://host:port", no credentials
};

// Sends the attempts `next_attempt` builds until an answer is not transient. Answers:
//  - any HTTP status that `transient` leaves alone (returns "") comes back as a response;
//  - a transient status (`transient` returns why, e.g. "HTTP 503 SlowDown") is retried with
//    exponential backoff and jitter (250 ms doubling to 8 s), and comes back as a response
//    once the budget is spent;
//  - a transport failure is retried likewise and, once the budget is spent or when it cannot
//    heal (bad URL, TLS trust), is Unavailable naming the peer, `what` and curl's reason;
//  - a 2xx body larger than the sink is DataLoss; an error from `next_attempt` is returned.
// Retries are logged as warnings naming the peer and `what` ("GET s3://b/k").
Result<HttpResponse> SendHttpWithRetries(
    CurlHandlePool& pool, const HttpRetryPolicy& policy, const HttpPeer& peer,
    std::string_view what, const std::function<Result<HttpAttempt>()>& next_attempt,
    const std::function<std::string(const HttpResponse&)>& transient);

// curl_global_init, once per process, before the first handle.
void EnsureCurlGlobalInit();

}  // namespace mm
