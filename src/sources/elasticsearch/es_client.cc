#include "sources/elasticsearch/es_client.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/cancellation.h"
#include "core/redact.h"
#include "net/curl_attempt.h"
#include "net/curl_handle_pool.h"
#include "sources/elasticsearch/es_endpoint.h"
#include "sources/elasticsearch/es_error.h"

namespace mm {
namespace {

// The config key that sets EsClientOptions::retry_budget_ms, named when it runs out.
constexpr const char* kRetryBudgetKey = "retry.budgetSeconds";

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Fingerprint pinning, as Elasticsearch's own clients do it: the connection is trusted when
// any certificate the server presents has this SHA-256, whoever signed it.
int VerifyByFingerprint(X509_STORE_CTX* store, void* arg) {
  const auto* want = static_cast<const std::string*>(arg);
  auto matches = [&](X509* cert) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    return cert != nullptr && X509_digest(cert, EVP_sha256(), digest, &len) == 1 &&
           len == want->size() && std::equal(digest, digest + len, want->begin(),
                                             [](unsigned char a, char b) {
                                               return a == static_cast<unsigned char>(b);
                                             });
  };
  if (matches(X509_STORE_CTX_get0_cert(store))) return 1;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store);
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    if (matches(sk_X509_value(chain, i))) return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_UNTRUSTED);
  return 0;
}

CURLcode OnSslContext(CURL*, void* ssl_ctx, void* arg) {
  SSL_CTX_set_cert_verify_callback(static_cast<SSL_CTX*>(ssl_ctx), &VerifyByFingerprint, arg);
  return CURLE_OK;
}

bool TransientCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

bool TransientStatus(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Failures after which the server surely has not run the request: no connection was made,
// or Elasticsearch turned it away before running it (429 queue full, 503 no shard ready).
bool Unsent(CURLcode code, long status) {
  if (code != CURLE_OK) return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST;
  return status == 429 || status == 503;
}

}  // namespace

struct EsClient::Impl {
  EsClientOptions options;
  std::vector<std::string> urls;  // as configured: may hold userinfo, which curl uses
  std::string shown_base;         // urls[0] redacted, for messages
  std::string authorization;
  std::string ca_file;
  std::string fingerprint;  // raw 32 bytes, or empty
  EsVersion version;

  mutable CurlHandlePool handles;
  mutable std::mutex mu;
  mutable size_t url_index = 0;  // the URL that answered last

  std::string Url() const {
    std::lock_guard<std::mutex> lock(mu);
    return urls[url_index % urls.size()];
  }
  void NextUrl() const {
    std::lock_guard<std::mutex> lock(mu);
    ++url_index;
  }

  // One attempt. A transport failure is returned as a CURLcode with its message.
  CURLcode Perform(const std::string& method, const std::string& url, const std::string& body,
                   EsRetry retry, int64_t connect_timeout_ms, EsResponse* out,
                   std::string* error, bool* connected) const {
    CURL* h = handles.Acquire();
    if (h == nullptr) {
      *error = "curl_easy_init failed";
      return CURLE_FAILED_INIT;
    }
    curl_easy_reset(h);
    char error_buffer[CURL_ERROR_SIZE] = {0};
    struct curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (!authorization.empty()) {
      headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
    }
    out->body.clear();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout_ms));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // libcurl sends a request again by itself when a reused connection closes before any
    // answer, which for a scroll page would skip it silently; on a new connection it never
    // does.
    if (retry == EsRetry::kUnsentOnly) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip when the server offers it
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
    if (!ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
    if (!fingerprint.empty()) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);  // the pin replaces name checks
      curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &OnSslContext);
      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, const_cast<std::string*>(&fingerprint));
    }
    if (method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else if (method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (!body.empty()) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      }
    }
    CURLcode code = curl_easy_perform(h);
    *connected = CurlAttemptConnected(h, code);
    if (code == CURLE_OK) {
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    } else {
      *error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    }
    curl_slist_free_all(headers);
    handles.Release(h);
    return code;
  }
};

EsClient::EsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EsClient::~EsClient() = default;

const EsVersion& EsClient::version() const { return impl_->version; }
const std::string& EsClient::base_url() const { return impl_->shown_base; }

Result<EsResponse> EsClient::Send(const std::string& method, const std::string& path,
                                  const std::string& body, EsRetry retry) const {
  // The budget counts from the first failure: from the start of its attempt when that never
  // connected (the time went into connecting), else from its end, so a long search that
  // fails late still gets its retries.
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> first_failure;
  const int64_t budget_ms = impl_->options.retry_budget_ms;
  auto spent_ms = [&]() -> int64_t {
    if (!first_failure) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *first_failure)
        .count();
  };
  int64_t backoff_ms = impl_->options.first_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    const auto attempt_start = Clock::now();
    const std::string base = impl_->Url();
    // Messages name the URL without its userinfo or credential parameters.
    const std::string shown = StrCat(RedactUrl(base), path);
    EsResponse response;
    std::string error;
    // An unreachable host should not hold one attempt far past the budget.
    const int64_t connect_ms = std::min<int64_t>(
        impl_->options.connect_timeout_ms, std::max<int64_t>(1000, budget_ms - spent_ms()));
    bool connected = false;
    CURLcode code = impl_->Perform(method, base + path, body, retry, connect_ms, &response,
                                   &error, &connected);
    std::string why;
    if (code != CURLE_OK) {
      if (!TransientCurlError(code)) {
        if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
            code == CURLE_SSL_CONNECT_ERROR) {
          return absl::UnavailableError(StrCat("elasticsearch ", RedactUrl(base),
                                               ": TLS failed (", RedactText(error),
                                               "); check source.es.cert / fingerprint"));
        }
        return absl::UnavailableError(
            StrCat("elasticsearch ", method, " ", shown, ": ", RedactText(error)));
      }
      why = RedactText(error);
      impl_->NextUrl();
    } else if (TransientStatus(response.status)) {
      why = StrCat("HTTP ", response.status, " ", EsErrorReason(response.body));
    } else {
      return response;
    }
    if (retry == EsRetry::kUnsentOnly && !Unsent(code, response.status)) {
      return absl::AbortedError(StrCat("elasticsearch ", method, " ", shown, ": ", why,
                                       "; the server may have answered it, so it is not sent "
                                       "again"));
    }
    if (!first_failure) first_failure = connected ? Clock::now() : attempt_start;
    const int64_t spent = spent_ms();
    if (spent >= budget_ms) {
      return absl::UnavailableError(StrCat(
          "elasticsearch ", method, " ", shown, ": still failing after ", attempt,
          " attempts over ", spent / 1000, ".", spent % 1000 / 100, " s, the retry budget (",
          kRetryBudgetKey, ": ", budget_ms / 1000, "): ", why));
    }
    // The last wait ends when the budget does, for one more attempt then.
    const int64_t wait_ms = std::min(backoff_ms, budget_ms - spent);
    spdlog::warn("elasticsearch {} {}: {}; retrying in {} ms", method, shown, why, wait_ms);
    RETURN_IF_ERROR(CheckCancelled("elasticsearch request"));
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, impl_->options.max_backoff_ms);
  }
}

Result<std::string> EsClient::Call(const std::string& method, const std::string& path,
                                   const std::string& body, EsRetry retry) const {
  ASSIGN_OR_RETURN(EsResponse r, Send(method, path, body, retry));
  if (r.status >= 200 && r.status < 300) return std::move(r.body);
  const std::string what = StrCat("elasticsearch ", method, " ", path, " at ",
                                  impl_->shown_base, ": HTTP ", r.status, " ",
                                  EsErrorReason(r.body));
  // A scroll or point in time released while this request was answered fails with a 500:
  // it is as gone as one that answers 404, and the reader reopens it the same way.
  if (IsLostSearchContextError(r.body)) return absl::NotFoundError(what);
  switch (r.status) {
    case 401: return absl::UnauthenticatedError(what + " (check source.es credentials)");
    case 403: return absl::PermissionDeniedError(what);
    case 404: return absl::NotFoundError(what);
    case 400: return absl::InvalidArgumentError(what);
    default: return absl::UnavailableError(what);
  }
}

Result<std::unique_ptr<EsClient>> EsClient::Connect(const EsConnectionConfig& connection,
                                                    const EsClientOptions& options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ASSIGN_OR_RETURN(impl->urls, EsBaseUrls(connection));
  impl->shown_base = RedactUrl(impl->urls.front());
  impl->authorization = EsAuthorization(connection);
  impl->ca_file = connection.cert;
  if (!connection.fingerprint.empty()) {
    ASSIGN_OR_RETURN(impl->fingerprint, ParseEsFingerprint(connection.fingerprint));
  }
  std::unique_ptr<EsClient> client(new EsClient(std::move(impl)));
  ASSIGN_OR_RETURN(std::string body, client->Call("GET", "/"));
  auto json = nlohmann::json::parse(body, nullptr, false);
  EsVersion& v = client->impl_->version;
  if (json.is_object() && json.contains("version") && json["version"].is_object()) {
    v.number = json["version"].value("number", "");
  }
  if (v.number.empty() || std::sscanf(v.number.c_str(), "%d.%d", &v.major, &v.minor) != 2) {
    return absl::UnavailableError(StrCat("elasticsearch at ", client->base_url(),
                                         " did not report a version (is it Elasticsearch?)"));
  }
  if (v.major < 7) {
    return absl::UnimplementedError(StrCat("elasticsearch ", v.number, " at ",
                                           client->base_url(),
                                           ": only 7.x and 8.x are supported"));
  }
  spdlog::info("elasticsearch: {} answers, version {}", client->base_url(), v.number);
  return client;
}

}  // namespace mm
