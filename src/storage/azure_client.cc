#include "storage/azure_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "core/redact.h"
#include "net/curl_attempt.h"
#include "net/curl_handle_pool.h"
#include "storage/azure_shared_key.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

// The Blob service version every request asks for: Put Block's 4000 MiB blocks and Put
// Blob's 5000 MiB need 2019-12-12; bearer tokens need 2017-11-09.
constexpr const char* kApiVersion = "2021-12-02";
constexpr size_t kMaxIdleHandles = 64;
constexpr int kBackoffBaseMs = 250;
constexpr int kBackoffCapMs = 8000;
constexpr const char* kRetryBudgetKey = "retry.budgetSeconds";
// A held token is fetched again this long before it expires.
constexpr int64_t kTokenRefreshMarginS = 300;

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

bool IsTransientHttp(const AzureClient::Response& r) {
  if ((r.status >= 500 && r.status != 501) || r.status == 429 || r.status == 408) return true;
  std::string code = r.ErrorCode();
  return code == "ServerBusy" || code == "OperationTimedOut";
}

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const AzureClient::Request* request = nullptr;
  AzureClient::Response* response = nullptr;
  CURL* handle = nullptr;
  size_t read_pos = 0;
  bool routed = false;
  bool to_sink = false;
  bool overflow = false;
};

size_t OnWrite(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * nmemb;
  if (!t->routed) {
    long code = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &code);
    t->to_sink = t->request->sink != nullptr && code >= 200 && code < 300;
    t->routed = true;
  }
  if (!t->to_sink) {
    t->response->body.append(data, len);
    return len;
  }
  size_t space = t->request->sink_capacity - t->response->sink_bytes;
  if (len > space) {
    t->overflow = true;
    return 0;  // aborts the transfer
  }
  std::memcpy(t->request->sink + t->response->sink_bytes, data, len);
  t->response->sink_bytes += len;
  return len;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * nmemb;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();
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

const char* AuthName(AzureClient::Auth auth) {
  switch (auth) {
    case AzureClient::Auth::kSharedKey: return "Shared Key";
    case AzureClient::Auth::kSas: return "SAS token";
    case AzureClient::Auth::kBearer: return "managed identity token";
  }
  return "?";
}

}  // namespace

struct AzureClient::TokenCache {
  std::mutex mu;
  BearerToken token;
};

std::string AzureClient::Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::string AzureClient::Response::ErrorCode() const {
  std::string code = s3xml::FindFirst(body, "Code").value_or("");
  return code.empty() ? Header("x-ms-error-code") : code;
}

AzureClient::AzureClient(Config config)
    : config_(std::move(config)),
      pool_(std::make_unique<CurlHandlePool>(kMaxIdleHandles)),
      token_cache_(std::make_unique<TokenCache>()) {}
AzureClient::~AzureClient() = default;

Result<std::shared_ptr<AzureClient>> AzureClient::Create(Config config) {
  if (config.scheme != "http" && config.scheme != "https") {
    return absl::InvalidArgumentError(
        StrCat("Azure Blob scheme must be http or https, not '", config.scheme, "'"));
  }
  if (config.host.empty()) return absl::InvalidArgumentError("Azure Blob endpoint host is empty");
  if (config.account.empty()) return absl::InvalidArgumentError("Azure storage account is empty");
  if (config.container.empty()) return absl::InvalidArgumentError("Azure container is empty");
  if (config.auth == Auth::kBearer && !config.token_source) {
    return absl::InvalidArgumentError("Azure bearer authorization needs a token source");
  }
  EnsureCurlGlobalInit();
  return std::shared_ptr<AzureClient>(new AzureClient(std::move(config)));
}

std::string AzureClient::EndpointUrl() const {
  return StrCat(config_.scheme, "://", config_.host, config_.base_path);
}

std::string AzureClient::ObjectName(std::string_view blob) const {
  if (blob.empty()) return StrCat("azure://", config_.container);
  return StrCat("azure://", config_.container, "/", blob);
}

Result<std::string> AzureClient::BearerAuthorization() const {
  std::lock_guard<std::mutex> lock(token_cache_->mu);
  BearerToken& held = token_cache_->token;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (held.token.empty() || (held.expires_on > 0 && held.expires_on - kTokenRefreshMarginS <= now)) {
    ASSIGN_OR_RETURN(held, config_.token_source());
  }
  return "Bearer " + held.token;
}

Result<AzureClient::Response> AzureClient::Send(const Request& request,
                                                std::string_view what) const {
  std::string path = StrCat(config_.base_path, "/", config_.container);
  if (!request.blob.empty()) path += "/" + sigv4::EncodePath(request.blob);
  std::string query = sigv4::CanonicalQueryString(request.query);
  if (config_.auth == Auth::kSas) {
    std::string_view sas = config_.sas;
    if (!sas.empty() && sas.front() == '?') sas.remove_prefix(1);
    query += StrCat(query.empty() ? "" : "&", sas);
  }
  const std::string url = StrCat(config_.scheme, "://", config_.host, path,
                                 query.empty() ? "" : "?", query);

  thread_local std::mt19937 rng(std::random_device{}());
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
    azure::SignedRequest signed_request;
    signed_request.method = request.method;
    signed_request.encoded_path = path;
    signed_request.query = request.query;
    signed_request.headers = request.headers;
    signed_request.headers.emplace_back("x-ms-date", azure::HttpDate(std::time(nullptr)));
    signed_request.headers.emplace_back("x-ms-version", kApiVersion);
    signed_request.content_length = request.method == "PUT" ? request.body.size() : 0;
    std::string authorization;
    if (config_.auth == Auth::kSharedKey) {
      authorization =
          azure::AuthorizationHeader(signed_request, config_.account, config_.key);
    } else if (config_.auth == Auth::kBearer) {
      ASSIGN_OR_RETURN(authorization, BearerAuthorization());
    }

    struct curl_slist* header_list = nullptr;
    for (const auto& [k, v] : signed_request.headers) {
      header_list = curl_slist_append(header_list, StrCat(k, ": ", v).c_str());
    }
    if (!authorization.empty()) {
      header_list = curl_slist_append(header_list, ("Authorization: " + authorization).c_str());
    }
    header_list = curl_slist_append(header_list, "Expect:");  // no 100-continue round trip
    header_list = curl_slist_append(header_list, "Content-Type:");  // unsigned, so never sent

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
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    const bool connected = CurlAttemptConnected(h, rc);
    curl_slist_free_all(header_list);
    pool_->Release(h);

    if (transfer.overflow) {
      return absl::DataLossError(StrCat(what, ": Azure Blob sent more than the ",
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
        return absl::UnavailableError(StrCat("cannot reach Azure Blob endpoint ", EndpointUrl(),
                                             " for ", what, ": ", reason));
      }
      if (out_of_retries) {
        return absl::UnavailableError(StrCat(
            "cannot reach Azure Blob endpoint ", EndpointUrl(), " for ", what, ": ", reason,
            " (still failing after ", attempt + 1, attempt == 0 ? " attempt" : " attempts",
            " over ", spent / 1000, ".", spent % 1000 / 100, " s, the retry budget (",
            kRetryBudgetKey, ": ", config_.retry_budget_ms / 1000, "))"));
      }
    } else if (IsTransientHttp(response)) {
      if (out_of_retries) return response;
      std::string code = response.ErrorCode();
      reason = StrCat("HTTP ", response.status, code.empty() ? "" : " ", code);
    } else {
      return response;
    }
    int cap = std::min(kBackoffCapMs, kBackoffBaseMs << std::min(attempt, 16));
    int delay = std::uniform_int_distribution<int>(cap / 2, cap)(rng);
    delay = static_cast<int>(std::min<int64_t>(delay, config_.retry_budget_ms - spent));
    spdlog::warn("Azure Blob {} at {} failed ({}); retry {} in {} ms", what, EndpointUrl(),
                 reason, attempt + 1, delay);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(delay, 0)));
  }
}

Status AzureClient::Check(const Response& response, std::string_view what) const {
  if (response.status >= 200 && response.status < 300) return absl::OkStatus();
  const std::string code = response.ErrorCode();
  std::string message = s3xml::FindFirst(response.body, "Message").value_or("");
  // Azure appends "RequestId:...\nTime:..." lines: keep the sentence only.
  message = std::string(Trim(message.substr(0, message.find('\n'))));
  std::string detail = StrCat("HTTP ", response.status);
  if (!code.empty()) detail += StrCat(" ", code);
  if (!message.empty()) detail += StrCat(": ", message);
  // Never echo a credential, should a server quote one.
  for (const std::string* secret : {&config_.sas}) {
    for (size_t at; !secret->empty() && (at = detail.find(*secret)) != std::string::npos;) {
      detail.replace(at, secret->size(), kRedacted);
    }
  }
  detail = RedactText(detail);

  if (code == "ContainerNotFound") {
    return absl::NotFoundError(StrCat("Azure container '", config_.container,
                                      "' does not exist in storage account '", config_.account,
                                      "' at ", EndpointUrl(), " (", what, ")"));
  }
  switch (response.status) {
    case 404:
      return absl::NotFoundError(
          StrCat(what, ": not found at Azure Blob ", EndpointUrl(), " (", detail, ")"));
    case 401:
    case 403: {
      std::string hint;
      // Azure says AuthenticationFailed for a bad signature, Azurite AuthorizationFailure
      // with Azure's "Server failed to authenticate" message.
      if (code == "AuthenticationFailed" || code.empty() ||
          message.find("failed to authenticate") != std::string::npos) {
        hint = config_.auth == Auth::kSas
                   ? "; the SAS token is invalid, expired or not for this account"
                   : config_.auth == Auth::kSharedKey
                         ? "; the key does not match this storage account"
                         : "; the token was refused";
      } else if (code.rfind("Authorization", 0) == 0) {
        hint = "; the credentials lack a permission this operation needs";
      }
      return absl::PermissionDeniedError(StrCat(
          "Azure Blob ", EndpointUrl(), " refused the ", AuthName(config_.auth), " of ",
          config_.credentials_origin, " for ", what, " (", detail, ")", hint));
    }
    case 400:
      return absl::InvalidArgumentError(
          StrCat(what, " was rejected by Azure Blob ", EndpointUrl(), " (", detail, ")"));
    case 409:
    case 412:
      return absl::FailedPreconditionError(StrCat(what, " (", detail, ")"));
    case 416:
      return absl::OutOfRangeError(StrCat(what, " (", detail, ")"));
    case 501:
      return absl::UnimplementedError(
          StrCat("Azure Blob ", EndpointUrl(), " does not support ", what, " (", detail, ")"));
    default:
      break;
  }
  if (IsTransientHttp(response)) {
    return absl::UnavailableError(StrCat("Azure Blob ", EndpointUrl(), " failed ", what, " (",
                                         detail,
                                         "), still failing at the end of the retry budget (",
                                         kRetryBudgetKey, ": ",
                                         config_.retry_budget_ms / 1000, ")"));
  }
  return absl::UnknownError(StrCat(what, " at Azure Blob ", EndpointUrl(), " (", detail, ")"));
}

}  // namespace mm
