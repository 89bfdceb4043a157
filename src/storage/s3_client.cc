#include "storage/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/redact.h"
#include "net/curl_attempt.h"
#include "net/curl_handle_pool.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

constexpr size_t kMaxIdleHandles = 64;
constexpr int kBackoffBaseMs = 250;
constexpr int kBackoffCapMs = 8000;
// The config key that sets Config::retry_budget_ms, named when it runs out.
constexpr const char* kRetryBudgetKey = "retry.budgetSeconds";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Errors a retry cannot fix: our own aborts, bad URLs, TLS trust problems.
bool IsPermanentCurlError(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

bool IsTransientHttp(const S3Client::Response& r) {
  if ((r.status >= 500 && r.status != 501) || r.status == 429) return true;
  if (r.status == 400) {
    std::string code = s3xml::ParseError(r.body).code;
    return code == "RequestTimeout" || code == "SlowDown";
  }
  return false;
}

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request in flight: where the body comes from and where the answer goes.
struct Transfer {
  const S3Client::Request* request = nullptr;
  S3Client::Response* response = nullptr;
  CURL* handle = nullptr;
  size_t read_pos = 0;
  bool routed = false;        // whether the body destination was decided
  bool to_sink = false;
  uint64_t skip = 0;
  bool whole_object = false;  // a 200 to a ranged GET: stop once the sink is full
  bool stopped_early = false;
  bool overflow = false;
};

size_t OnWrite(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * nmemb;
  if (!t->routed) {
    long code = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &code);
    t->to_sink = t->request->sink != nullptr && code >= 200 && code < 300;
    t->whole_object = t->to_sink && code == 200 && t->request->skip_if_whole > 0;
    t->skip = t->whole_object ? t->request->skip_if_whole : 0;
    t->routed = true;
  }
  if (!t->to_sink) {
    t->response->body.append(data, len);
    return len;
  }
  size_t off = 0;
  if (t->skip > 0) {
    off = static_cast<size_t>(std::min<uint64_t>(t->skip, len));
    t->skip -= off;
  }
  size_t rest = len - off;
  size_t space = t->request->sink_capacity - t->response->sink_bytes;
  size_t copy = std::min(rest, space);
  std::memcpy(t->request->sink + t->response->sink_bytes, data + off, copy);
  t->response->sink_bytes += copy;
  if (copy < rest) {
    if (t->whole_object) {
      t->stopped_early = true;
    } else {
      t->overflow = true;
    }
    return 0;  // aborts the transfer
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * nmemb;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();  // a new status line (after 100 Continue, say)
    return len;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
  }
  return len;
}

size_t OnRead(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view body = t->request->body;
  size_t n = std::min(size * nitems, body.size() - t->read_pos);
  std::memcpy(buffer, body.data() + t->read_pos, n);
  t->read_pos += n;
  return n;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<size_t>(offset) > t->request->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->read_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

std::string S3Client::Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

S3Client::S3Client(Config config)
    : config_(std::move(config)), pool_(std::make_unique<CurlHandlePool>(kMaxIdleHandles)) {}
S3Client::~S3Client() = default;

Result<std::shared_ptr<S3Client>> S3Client::Create(Config config) {
  if (config.scheme != "http" && config.scheme != "https") {
    return absl::InvalidArgumentError(
        StrCat("S3 scheme must be http or https, not '", config.scheme, "'"));
  }
  if (config.host.empty()) return absl::InvalidArgumentError("S3 endpoint host is empty");
  if (config.bucket.empty()) return absl::InvalidArgumentError("S3 bucket name is empty");
  if (config.retry_budget_ms < 0) {
    return absl::InvalidArgumentError(
        StrCat("S3 retry budget must be >= 0 ms, not ", config.retry_budget_ms));
  }
  EnsureCurlGlobalInit();
  return std::shared_ptr<S3Client>(new S3Client(std::move(config)));
}

std::string S3Client::EndpointUrl() const { return StrCat(config_.scheme, "://", config_.host); }

std::string S3Client::ObjectName(std::string_view key) const {
  if (key.empty()) return StrCat(config_.url_scheme, "://", config_.bucket);
  return StrCat(config_.url_scheme, "://", config_.bucket, "/", key);
}

std::string S3Client::CredentialsOrigin() const {
  return config_.credentials != nullptr ? config_.credentials->Origin()
                                        : config_.credentials_origin;
}

Result<Credentials> S3Client::CurrentCredentials(std::string_view what) const {
  if (config_.credentials == nullptr) {
    Credentials c;
    c.access_key = config_.access_key;
    c.secret_key = config_.secret_key;
    c.session_token = config_.session_token;
    return c;
  }
  Result<Credentials> c = config_.credentials->Get();
  if (!c.ok()) {
    return Status(c.status().code(),
                  StrCat("cloud ", config_.cloud, ", ", what, ": no credentials from ",
                         config_.credentials->Origin(), ": ", c.status().message()));
  }
  return c;
}

Result<S3Client::Response> S3Client::Send(const Request& request, std::string_view what) const {
  const std::string payload_sha = sigv4::Sha256Hex(request.body);
  // Virtual-host style: the bucket moves from the path into the Host name.
  std::string path = config_.virtual_host ? "" : "/" + config_.bucket;
  if (!request.key.empty()) path += "/" + request.key;
  if (path.empty()) path = "/";
  const std::string host =
      config_.virtual_host ? StrCat(config_.bucket, ".", config_.host) : config_.host;
  const std::string canonical_uri = sigv4::EncodePath(path);
  const std::string query = sigv4::CanonicalQueryString(request.query);
  const std::string url =
      StrCat(config_.scheme, "://", host, canonical_uri, query.empty() ? "" : "?", query);

  sigv4::KeyValues base_headers = {{"host", host}};
  bool has_content_type = false;
  for (const auto& [k, v] : request.headers) {
    base_headers.emplace_back(k, v);
    if (Lower(k) == "content-type") has_content_type = true;
  }
  // Without it curl would label a POST body as a form.
  if (request.method == "POST" && !has_content_type) {
    base_headers.emplace_back("content-type", "application/xml");
  }

  thread_local std::mt19937 rng(std::random_device{}());
  // The budget counts from the first failure: from the start of its attempt when that never
  // connected (the time went into connecting), else from its end, so a long transfer that
  // fails late still gets its retries.
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> first_failure;
  auto spent_ms = [&]() -> int64_t {
    if (!first_failure) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *first_failure)
        .count();
  };
  for (int attempt = 0;; ++attempt) {
    const auto attempt_start = Clock::now();
    Response response;
    ASSIGN_OR_RETURN(Credentials credentials, CurrentCredentials(what));
    sigv4::Request signed_request;
    signed_request.method = request.method;
    signed_request.canonical_uri = canonical_uri;
    signed_request.query = request.query;
    signed_request.headers = base_headers;
    std::string authorization;
    if (!credentials.bearer_token.empty()) {
      // OAuth2 (GCS with useIAM): the token authorizes the request; nothing is signed.
      authorization = "Bearer " + credentials.bearer_token;
    } else {
      signed_request.headers.emplace_back("x-amz-content-sha256", payload_sha);
      if (!credentials.session_token.empty()) {
        signed_request.headers.emplace_back("x-amz-security-token", credentials.session_token);
      }
      const std::string amz_date = sigv4::AmzDate(std::time(nullptr));
      signed_request.headers.emplace_back("x-amz-date", amz_date);
      signed_request.payload_sha256 = payload_sha;
      authorization = sigv4::Authorize(signed_request, credentials.access_key,
                                       credentials.secret_key, config_.region, "s3", amz_date);
    }

    struct curl_slist* header_list = nullptr;
    for (const auto& [k, v] : signed_request.headers) {
      header_list = curl_slist_append(header_list, StrCat(k, ": ", v).c_str());
    }
    header_list = curl_slist_append(header_list, ("Authorization: " + authorization).c_str());
    header_list = curl_slist_append(header_list, "Expect:");  // no 100-continue round trip

    CURL* h = pool_->Acquire();
    if (h == nullptr) {
      curl_slist_free_all(header_list);
      return absl::ResourceExhaustedError("curl_easy_init failed");
    }
    curl_easy_reset(h);
    Transfer transfer;
    transfer.request = &request;
    transfer.response = &response;
    transfer.handle = h;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    // An unreachable host should not hold one attempt far past the budget.
    const int64_t connect_ms = std::min<int64_t>(
        config_.connect_timeout_ms, std::max<int64_t>(1000, config_.retry_budget_ms - spent_ms()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_ms));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, config_.stall_timeout_s);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &transfer);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.empty() ? "" : request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    const bool connected = CurlAttemptConnected(h, rc);
    curl_slist_free_all(header_list);
    pool_->Release(h);

    if (rc == CURLE_WRITE_ERROR && transfer.stopped_early) rc = CURLE_OK;
    if (transfer.overflow) {
      return absl::DataLossError(StrCat(what, ": the server sent more than the ",
                                        request.sink_capacity, " bytes asked for"));
    }
    std::string reason;
    if ((rc != CURLE_OK || IsTransientHttp(response)) && !first_failure) {
      first_failure = connected ? Clock::now() : attempt_start;
    }
    const int64_t spent = spent_ms();
    const bool out_of_retries =
        spent >= config_.retry_budget_ms ||
        (config_.max_retries >= 0 && attempt >= config_.max_retries);
    if (rc != CURLE_OK) {
      reason = RedactText(error_buffer[0] != '\0' ? std::string(error_buffer)
                                                   : curl_easy_strerror(rc));
      if (IsPermanentCurlError(rc)) {
        return absl::UnavailableError(
            StrCat("cannot reach S3 endpoint ", EndpointUrl(), " for ", what, ": ", reason));
      }
      if (out_of_retries) {
        return absl::UnavailableError(StrCat(
            "cannot reach S3 endpoint ", EndpointUrl(), " for ", what, ": ", reason,
            " (still failing after ", attempt + 1, attempt == 0 ? " attempt" : " attempts",
            " over ", spent / 1000, ".", spent % 1000 / 100, " s, the retry budget (",
            kRetryBudgetKey, ": ", config_.retry_budget_ms / 1000, "))"));
      }
    } else if (IsTransientHttp(response)) {
      if (out_of_retries) return response;
      s3xml::ErrorBody error = s3xml::ParseError(response.body);
      reason = StrCat("HTTP ", response.status, error.code.empty() ? "" : " ", error.code);
    } else {
      return response;
    }
    // Exponential backoff with jitter; the last wait ends when the budget does.
    int cap = std::min(kBackoffCapMs, kBackoffBaseMs << std::min(attempt, 16));
    int delay = std::uniform_int_distribution<int>(cap / 2, cap)(rng);
    delay = static_cast<int>(std::min<int64_t>(delay, config_.retry_budget_ms - spent));
    spdlog::warn("S3 {} at {} failed ({}); retry {} in {} ms", what, EndpointUrl(), reason,
                 attempt + 1, delay);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  }
}

Status S3Client::Check(const Response& response, std::string_view what) const {
  if (response.status >= 200 && response.status < 300) return absl::OkStatus();
  s3xml::ErrorBody error = s3xml::ParseError(response.body);
  std::string detail = StrCat("HTTP ", response.status);
  if (!error.code.empty()) detail += StrCat(" ", error.code);
  if (!error.message.empty()) detail += StrCat(": ", error.message);
  // A server may quote the access key (or token) in its message; it is a credential too.
  std::vector<std::string> secrets = {config_.access_key, config_.secret_key,
                                      config_.session_token};
  bool bearer = false;
  if (config_.credentials != nullptr) {
    if (Result<Credentials> c = config_.credentials->Get(); c.ok()) {
      bearer = !c->bearer_token.empty();
      secrets.insert(secrets.end(),
                     {c->access_key, c->secret_key, c->session_token, c->bearer_token});
    }
  }
  for (const std::string& secret : secrets) {
    for (size_t at; !secret.empty() && (at = detail.find(secret)) != std::string::npos;) {
      detail.replace(at, secret.size(), kRedacted);
    }
  }
  const std::string cloud = StrCat(" [cloud ", config_.cloud, "]");

  if (error.code == "NoSuchBucket") {
    return absl::NotFoundError(StrCat("bucket '", config_.bucket, "' does not exist at ",
                                      EndpointUrl(), " (", what, ")", cloud));
  }
  if (response.status == 301 || response.status == 307 || response.status == 308 ||
      error.code == "PermanentRedirect" || error.code == "AuthorizationHeaderMalformed") {
    std::string actual = response.Header("x-amz-bucket-region");
    return absl::InvalidArgumentError(StrCat(
        what, ": bucket '", config_.bucket, "' is not served at ", EndpointUrl(),
        " in region '", config_.region, "'",
        actual.empty() ? "" : StrCat("; it is in region '", actual, "'"), " (", detail, ")",
        cloud));
  }
  switch (response.status) {
    case 404:
      return absl::NotFoundError(
          StrCat(what, ": not found at ", EndpointUrl(), " (", detail, ")", cloud));
    case 401:
    case 403: {
      std::string hint;
      if (error.code == "SignatureDoesNotMatch") {
        hint = "; the secret key does not match this access key";
      } else if (error.code == "InvalidAccessKeyId") {
        hint = "; the server does not know this access key";
      } else if (error.code == "RequestTimeTooSkewed") {
        hint = "; this machine's clock is off";
      } else if (error.code == "ExpiredToken" || error.code == "TokenRefreshRequired" ||
                 error.code == "InvalidToken" || response.status == 401) {
        hint = "; the temporary credentials (token) expired or are not valid";
      } else if (error.code.empty()) {
        // A HEAD answer has no body to say why.
        hint = "; check the access key, the secret key and the bucket's permissions";
      }
      // The access key is a credential too: name where it came from, not its value.
      return absl::PermissionDeniedError(StrCat(EndpointUrl(),
                                                bearer ? " refused the OAuth2 token of "
                                                       : " refused the access key of ",
                                                CredentialsOrigin(), " for ", what, " (",
                                                detail, ")", hint, cloud));
    }
    case 400:
      return absl::InvalidArgumentError(StrCat(what, " was rejected by ", EndpointUrl(), " (",
                                               detail, ")"));
    case 409:
    case 412:
      return absl::FailedPreconditionError(StrCat(what, " (", detail, ")"));
    case 416:
      return absl::OutOfRangeError(StrCat(what, " (", detail, ")"));
    case 501:
      return absl::UnimplementedError(StrCat(EndpointUrl(), " does not support ", what, " (",
                                             detail, ")"));
    default:
      break;
  }
  if (response.status >= 500 || response.status == 429 || IsTransientHttp(response)) {
    return absl::UnavailableError(StrCat(EndpointUrl(), " failed ", what, " (", detail,
                                         "), still failing at the end of the retry budget (",
                                         kRetryBudgetKey, ": ",
                                         config_.retry_budget_ms / 1000, ")"));
  }
  return absl::UnknownError(StrCat(what, " at ", EndpointUrl(), " (", detail, ")"));
}

}  // namespace mm
