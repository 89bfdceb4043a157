// Signed HTTP requests to one bucket of one S3-compatible endpoint (path-style addressing,
// scheme://host:port/bucket/key, or virtual-host style, scheme://bucket.host:port/key, as
// GCS, OSS and COS want), over libcurl, with retries and S3 errors mapped to Status
// codes. The storage layer (s3_storage.h) builds the S3 operations on top.
//
// Transient failures (connection errors, timeouts, HTTP 5xx and 429, S3 SlowDown and
// RequestTimeout) are retried with exponential backoff and jitter for at most the retry
// budget (retry.budgetSeconds). Neither key appears in a log line or an error message: a
// refusal names where the keys came from (Config::credentials_origin) instead.
//
// Thread-safe: each request borrows a curl handle from a pool, so connections are reused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_exchange.h"
#include "storage/credentials.h"
#include "storage/sigv4.h"

namespace mm {

class CurlHandlePool;

class S3Client {
 public:
  struct Config {
    std::string scheme;  // "http" or "https"
    std::string host;    // "host" or "host:port", sent as the Host header
    std::string region;
    std::string bucket;
    std::string access_key;
    std::string secret_key;
    std::string session_token;  // optional, for temporary credentials
    // When set, asked for the credentials at every request (they may be temporary and
    // refreshed) instead of the three fields above; a bearer token is sent as such.
    std::shared_ptr<CredentialProvider> credentials;
    bool virtual_host = false;  // the bucket in the Host name instead of the path
    // The cloud ("aws", "gcp", ...) and its URL scheme ("s3", "gs", ...), for messages.
    std::string cloud = "aws";
    std::string url_scheme = "s3";
    // Where the keys came from ("target.remote.ak/sk"), named when the server refuses them.
    std::string credentials_origin = "the configured credentials";
    // How long one request may keep retrying transient failures in total; the last
    // attempt starts when it ends. retry.budgetSeconds in the config.
    int64_t retry_budget_ms = 60000;
    // At most this many retries as well; -1 for no limit but the budget (tests use it to
    // count attempts).
    int max_retries = -1;
    long connect_timeout_ms = 10000;
    // Give up on a transfer that moves less than 1 byte/s for this long.
    long stall_timeout_s = 120;
  };

  struct Request {
    std::string method;  // GET, HEAD, PUT, POST, DELETE
    std::string key;     // object key; empty addresses the bucket
    sigv4::KeyValues query;
    sigv4::KeyValues headers;  // extra headers (Range, Content-MD5, ...); all are signed
    std::string_view body;     // PUT/POST payload; must outlive the call
    // When set, a 2xx body goes here (at most sink_capacity bytes) instead of into
    // Response::body: ranged reads land in the caller's buffer without a copy.
    char* sink = nullptr;
    size_t sink_capacity = 0;
    // For a ranged GET answered with the whole object (200): bytes to skip first.
    uint64_t skip_if_whole = 0;
  };

  // status, body (error bodies, XML answers), lower-cased headers, sink_bytes.
  using Response = HttpResponse;

  static Result<std::shared_ptr<S3Client>> Create(Config config);
  ~S3Client();

  // Sends `request`, retrying transient failures. Any HTTP status comes back as a Response
  // (callers decide what 404 means); a transport failure that outlasts the retries is
  // Unavailable naming the endpoint. `what` ("GET s3://b/k") is for logs and errors.
  Result<Response> Send(const Request& request, std::string_view what) const;

  // OK for 2xx; otherwise the most specific code: NotFound (NoSuchBucket names the bucket
  // and endpoint, NoSuchKey / a 404 names `what`), PermissionDenied (403, naming the access
  // key), InvalidArgument (400, wrong region), Unavailable (5xx, 429), ...
  Status Check(const Response& response, std::string_view what) const;

  const Config& config() const { return config_; }
  // Where the credentials come from: the provider's origin, else Config::credentials_origin.
  std::string CredentialsOrigin() const;
  // "http://host:port", for messages.
  std::string EndpointUrl() const;
  // "s3://bucket/key" (gs://, oss://, cos:// by cloud), for messages.
  std::string ObjectName(std::string_view key) const;

 private:
  explicit S3Client(Config config);
  // The provider's credentials (an error from it names `what` and the cloud), else the
  // configured keys.
  Result<Credentials> CurrentCredentials(std::string_view what) const;

  Config config_;
  std::unique_ptr<CurlHandlePool> pool_;
};

}  // namespace mm
