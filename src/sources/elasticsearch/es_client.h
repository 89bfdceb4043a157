// A small HTTP client for one Elasticsearch cluster: authentication and TLS from source.es.*,
// retries with backoff for what is transient (429, 502-504, refused or dropped connections,
// timeouts), and errors that name the method and path but never a secret.
// Thread-safe: requests may run concurrently (each takes a curl handle from a pool).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "sources/elasticsearch/elasticsearch_config.h"

namespace mm {

struct EsClientOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 300000;
  // retry.budgetSeconds: transient failures of one request are retried for this long in
  // total (the last attempt starts when it ends), so a node restart of half a minute does
  // not fail the migration; connection attempts are cut to what is left of it.
  int64_t retry_budget_ms = 60000;
  int64_t first_backoff_ms = 250;  // doubling after each attempt,
  int64_t max_backoff_ms = 8000;   // up to this
};

struct EsVersion {
  std::string number;  // "8.11.3"
  int major = 0;
  int minor = 0;
};

struct EsResponse {
  long status = 0;
  std::string body;
};

// Which failures a request may be sent again after. A scroll request moves its cursor on
// when the server runs it, so sending it again after an answer that got lost (a timeout, a
// dropped connection, a proxy's 502/504) would silently skip a page.
enum class EsRetry {
  kTransient,   // any transient failure: the request can be repeated (searches, PIT, GET)
  kUnsentOnly,  // only failures where the server surely did not run it (no connection, 429, 503)
};

class EsClient {
 public:
  // Resolves the URLs, sets up TLS (CA file, fingerprint pinning) and auth, then asks the
  // server its version (GET /). Errors: Unauthenticated (401), PermissionDenied (403),
  // Unavailable (unreachable after retries), InvalidArgument (bad settings).
  static Result<std::unique_ptr<EsClient>> Connect(const EsConnectionConfig& connection,
                                                   const EsClientOptions& options = {});
  ~EsClient();

  const EsVersion& version() const;
  // The first URL, redacted (core/redact.h): for messages and identities.
  const std::string& base_url() const;

  // `method` GET/POST/DELETE; `path` starts with '/'; `body` JSON or empty. Any HTTP status
  // is returned as is, after retries of the transient ones; transport failures that outlive
  // the retry budget are Unavailable. With kUnsentOnly, a failure the server may have run
  // the request through is Aborted at once.
  Result<EsResponse> Send(const std::string& method, const std::string& path,
                          const std::string& body = "", EsRetry retry = EsRetry::kTransient) const;
  // Send, then any status other than 2xx becomes an error naming the request and the
  // server's reason (error.type / error.reason). A search context that is gone (404, or
  // released while answering) is NotFound.
  Result<std::string> Call(const std::string& method, const std::string& path,
                           const std::string& body = "", EsRetry retry = EsRetry::kTransient) const;

 private:
  struct Impl;
  explicit EsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mm
