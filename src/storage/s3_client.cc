#include "storage/s3_client.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/redact.h"
#include "net/curl_handle_pool.h"
#include "net/http_exchange.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

constexpr size_t kMaxIdleHandles = 64;
// The config key that sets Config::retry_budget_ms, named when it runs out.
constexpr const char* kRetryBudgetKey = "retry.budgetSeconds";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Why `r` is worth another attempt ("HTTP 503 SlowDown"), or "" when it is not.
std::string TransientReason(const S3Client::Response& r) {
  const bool transient_status = (r.status >= 500 && r.status != 501) || r.status == 429;
  if (!transient_status && r.status != 400) return "";
  const s3xml::ErrorBody error = s3xml::ParseError(r.body);
  if (!transient_status && error.code != "RequestTimeout" && error.code != "SlowDown") return "";
  return StrCat("HTTP ", r.status, error.code.empty() ? "" : " ", error.code);
}

}  // namespace

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

  HttpRetryPolicy policy;
  policy.budget_ms = config_.retry_budget_ms;
  policy.max_retries = config_.max_retries;
  policy.connect_timeout_ms = config_.connect_timeout_ms;
  policy.stall_timeout_s = config_.stall_timeout_s;
  policy.budget_key = kRetryBudgetKey;
  auto next_attempt = [&]() -> Result<HttpAttempt> {
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
    HttpAttempt attempt;
    attempt.method = request.method;
    attempt.url = url;
    attempt.headers = std::move(signed_request.headers);
    attempt.headers.emplace_back("Authorization", std::move(authorization));
    attempt.body = request.body;
    attempt.sink = request.sink;
    attempt.sink_capacity = request.sink_capacity;
    attempt.skip_if_whole = request.skip_if_whole;
    return attempt;
  };
  return SendHttpWithRetries(*pool_, policy, HttpPeer{"S3", EndpointUrl()}, what, next_attempt,
                             &TransientReason);
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
  if (response.status >= 500 || response.status == 429 || !TransientReason(response).empty()) {
    return absl::UnavailableError(StrCat(EndpointUrl(), " failed ", what, " (", detail,
                                         "), still failing at the end of the retry budget (",
                                         kRetryBudgetKey, ": ",
                                         config_.retry_budget_ms / 1000, ")"));
  }
  return absl::UnknownError(StrCat(what, " at ", EndpointUrl(), " (", detail, ")"));
}

}  // namespace mm
