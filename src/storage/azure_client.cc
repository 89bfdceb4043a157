#include "storage/azure_client.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>

#include "core/redact.h"
#include "net/curl_handle_pool.h"
#include "net/http_exchange.h"
#include "storage/azure_shared_key.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

// The Blob service version every request asks for: Put Block's 4000 MiB blocks and Put
// Blob's 5000 MiB need 2019-12-12; bearer tokens need 2017-11-09.
constexpr const char* kApiVersion = "2021-12-02";
constexpr size_t kMaxIdleHandles = 64;
constexpr const char* kRetryBudgetKey = "retry.budgetSeconds";
// A held token is fetched again this long before it expires.
constexpr int64_t kTokenRefreshMarginS = 300;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Azure's error code: <Code> of the body, or x-ms-error-code (HEAD answers have no body).
std::string ErrorCodeOf(const HttpResponse& r) {
  std::string code = s3xml::FindFirst(r.body, "Code").value_or("");
  return code.empty() ? r.Header("x-ms-error-code") : code;
}

// Why `r` is worth another attempt ("HTTP 503 ServerBusy"), or "" when it is not.
std::string TransientReason(const HttpResponse& r) {
  const std::string code = ErrorCodeOf(r);
  if (!((r.status >= 500 && r.status != 501) || r.status == 429 || r.status == 408 ||
        code == "ServerBusy" || code == "OperationTimedOut")) {
    return "";
  }
  return StrCat("HTTP ", r.status, code.empty() ? "" : " ", code);
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

std::string AzureClient::Response::ErrorCode() const { return ErrorCodeOf(*this); }

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

  HttpRetryPolicy policy;
  policy.budget_ms = config_.retry_budget_ms;
  policy.max_retries = config_.max_retries;
  policy.connect_timeout_ms = config_.connect_timeout_ms;
  policy.stall_timeout_s = config_.stall_timeout_s;
  policy.budget_key = kRetryBudgetKey;
  auto next_attempt = [&]() -> Result<HttpAttempt> {
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
      authorization = azure::AuthorizationHeader(signed_request, config_.account, config_.key);
    } else if (config_.auth == Auth::kBearer) {
      ASSIGN_OR_RETURN(authorization, BearerAuthorization());
    }
    HttpAttempt attempt;
    attempt.method = request.method;
    attempt.url = url;
    attempt.headers = std::move(signed_request.headers);
    if (!authorization.empty()) attempt.headers.emplace_back("Authorization", authorization);
    // Shared Key signs Content-Type as empty, so curl must not add one.
    attempt.suppressed_headers = {"Content-Type"};
    attempt.body = request.body;
    attempt.sink = request.sink;
    attempt.sink_capacity = request.sink_capacity;
    return attempt;
  };
  ASSIGN_OR_RETURN(HttpResponse answer,
                   SendHttpWithRetries(*pool_, policy, HttpPeer{"Azure Blob", EndpointUrl()},
                                       what, next_attempt, &TransientReason));
  Response response;
  static_cast<HttpResponse&>(response) = std::move(answer);
  return response;
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
  if (!TransientReason(response).empty()) {
    return absl::UnavailableError(StrCat("Azure Blob ", EndpointUrl(), " failed ", what, " (",
                                         detail,
                                         "), still failing at the end of the retry budget (",
                                         kRetryBudgetKey, ": ",
                                         config_.retry_budget_ms / 1000, ")"));
  }
  return absl::UnknownError(StrCat(what, " at Azure Blob ", EndpointUrl(), " (", detail, ")"));
}

}  // namespace mm
