#include "storage/cloud_credentials.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "storage/credential_http.h"
#include "storage/jwt.h"
#include "storage/s3_xml.h"

namespace mm {
namespace {

using Json = nlohmann::json;

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "http://host" for a value that may lack a scheme; no trailing '/'.
std::string BaseUrl(std::string url) {
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Result<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(what, " '", path, "' cannot be read"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Temporary credentials that are already past their expiry are no use: say so, naming where
// they came from, rather than sending requests the server refuses one by one.
Status CheckNotExpired(const Credentials& c, std::string_view what) {
  if (c.expires.has_value() && *c.expires <= std::chrono::system_clock::now()) {
    return absl::UnauthenticatedError(StrCat(
        "the credentials from ", what, " expired at ",
        absl::FormatTime(absl::RFC3339_sec, absl::FromChrono(*c.expires), absl::UTCTimeZone()),
        "; the identity service handed out an expired token"));
  }
  return absl::OkStatus();
}

// The first line of a metadata listing (the role name).
std::string FirstLine(std::string_view body) {
  size_t end = body.find_first_of("\r\n");
  std::string line(body.substr(0, end));
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

Result<TimePoint> ParseIso8601Utc(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        StrCat("'", text, "' is not an ISO 8601 UTC time (", err, ")"));
  }
  return absl::ToChronoTime(t);
}

Result<Credentials> ParseInstanceCredentialsJson(std::string_view json, std::string_view what) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::DataLossError(StrCat(what, " answered with something other than JSON"));
  }
  std::string code = StringField(j, "Code");
  if (!code.empty() && code != "Success") {
    return absl::PermissionDeniedError(
        StrCat(what, " refused the credentials (Code ", code, ")"));
  }
  Credentials c;
  c.access_key = StringField(j, "AccessKeyId");
  c.secret_key = StringField(j, "SecretAccessKey");
  if (c.secret_key.empty()) c.secret_key = StringField(j, "AccessKeySecret");
  c.session_token = StringField(j, "Token");
  if (c.session_token.empty()) c.session_token = StringField(j, "SecurityToken");
  if (c.access_key.empty() || c.secret_key.empty()) {
    return absl::DataLossError(
        StrCat(what, " answered without AccessKeyId and a secret access key"));
  }
  std::string expiration = StringField(j, "Expiration");
  if (!expiration.empty()) {
    Result<TimePoint> t = ParseIso8601Utc(expiration);
    if (!t.ok()) return absl::DataLossError(StrCat(what, ": Expiration ", t.status().message()));
    c.expires = *t;
  }
  return c;
}

Result<Credentials> ParseAssumeRoleWithWebIdentity(std::string_view xml, long http_status,
                                                   std::string_view what) {
  if (http_status < 200 || http_status >= 300) {
    s3xml::ErrorBody error = s3xml::ParseError(xml);
    return absl::PermissionDeniedError(StrCat(what, " refused AssumeRoleWithWebIdentity (HTTP ",
                                              http_status, error.code.empty() ? "" : " ",
                                              error.code, error.message.empty() ? "" : ": ",
                                              error.message, ")"));
  }
  Credentials c;
  c.access_key = s3xml::FindFirst(xml, "AccessKeyId").value_or("");
  c.secret_key = s3xml::FindFirst(xml, "SecretAccessKey").value_or("");
  c.session_token = s3xml::FindFirst(xml, "SessionToken").value_or("");
  if (c.access_key.empty() || c.secret_key.empty()) {
    return absl::DataLossError(
        StrCat(what, " answered AssumeRoleWithWebIdentity without <Credentials>"));
  }
  if (auto expiration = s3xml::FindFirst(xml, "Expiration")) {
    Result<TimePoint> t = ParseIso8601Utc(*expiration);
    if (!t.ok()) return absl::DataLossError(StrCat(what, ": Expiration ", t.status().message()));
    c.expires = *t;
  }
  return c;
}

Result<Credentials> ParseOAuth2TokenJson(std::string_view json, long http_status,
                                         TimePoint now, std::string_view what) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (http_status < 200 || http_status >= 300 || !j.is_object() || j.contains("error")) {
    std::string error = j.is_object() ? StringField(j, "error") : "";
    std::string description = j.is_object() ? StringField(j, "error_description") : "";
    return absl::PermissionDeniedError(StrCat(
        what, " refused the token request (HTTP ", http_status, error.empty() ? "" : " ", error,
        description.empty() ? "" : ": ", description, ")"));
  }
  Credentials c;
  c.bearer_token = StringField(j, "access_token");
  if (c.bearer_token.empty()) {
    return absl::DataLossError(StrCat(what, " answered without an access_token"));
  }
  auto expires_in = j.find("expires_in");
  if (expires_in != j.end() && expires_in->is_number()) {
    c.expires = now + std::chrono::seconds(expires_in->get<int64_t>());
  }
  return c;
}

Result<std::string> ServiceAccountAssertion(std::string_view key_json, TimePoint now,
                                            std::string_view key_origin) {
  Json key = Json::parse(key_json, nullptr, /*allow_exceptions=*/false);
  if (!key.is_object()) {
    return absl::InvalidArgumentError(StrCat(key_origin, " is not a JSON key file"));
  }
  if (StringField(key, "type") != "service_account") {
    return absl::InvalidArgumentError(StrCat(key_origin, ": type is '", StringField(key, "type"),
                                             "', expected service_account"));
  }
  const std::string email = StringField(key, "client_email");
  const std::string private_key = StringField(key, "private_key");
  std::string token_uri = StringField(key, "token_uri");
  if (token_uri.empty()) token_uri = "https://oauth2.googleapis.com/token";
  if (email.empty() || private_key.empty()) {
    return absl::InvalidArgumentError(
        StrCat(key_origin, " lacks client_email or private_key"));
  }
  const int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(
                          now.time_since_epoch()).count();
  Json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  std::string kid = StringField(key, "private_key_id");
  if (!kid.empty()) header["kid"] = kid;
  Json claims = {{"iss", email},
                 {"scope", "https://www.googleapis.com/auth/devstorage.read_write"},
                 {"aud", token_uri},
                 {"iat", iat},
                 {"exp", iat + 3600}};
  return jwt::EncodeRs256(header.dump(), claims.dump(), private_key, key_origin);
}

Result<Credentials> FetchEc2InstanceCredentials(const std::string& endpoint) {
  const std::string base = BaseUrl(endpoint);
  const std::string what = StrCat("the EC2 instance metadata service (", base, ")");
  CredentialHttpRequest put;
  put.method = "PUT";
  put.url = base + "/latest/api/token";
  put.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  ASSIGN_OR_RETURN(CredentialHttpResponse token, CredentialHttpCall(put, what));
  if (token.status != 200 || token.body.empty()) {
    return absl::UnavailableError(
        StrCat(what, " refused an IMDSv2 session token (HTTP ", token.status, ")"));
  }
  CredentialHttpRequest list;
  list.url = base + "/latest/meta-data/iam/security-credentials/";
  list.headers = {{"X-aws-ec2-metadata-token", token.body}};
  ASSIGN_OR_RETURN(CredentialHttpResponse roles, CredentialHttpCall(list, what));
  if (roles.status == 404) {
    // EC2 answers the listing with or without the trailing '/'; some mocks only without.
    list.url.pop_back();
    ASSIGN_OR_RETURN(roles, CredentialHttpCall(list, what));
    list.url += '/';
  }
  const std::string role = FirstLine(roles.body);
  if (roles.status != 200 || role.empty()) {
    return absl::FailedPreconditionError(StrCat(
        what, " names no IAM role for this instance (HTTP ", roles.status,
        "); attach an instance profile or set target.remote.ak/sk"));
  }
  CredentialHttpRequest get = list;
  get.url += role;
  ASSIGN_OR_RETURN(CredentialHttpResponse answer, CredentialHttpCall(get, what));
  if (answer.status != 200) {
    return absl::UnavailableError(StrCat(what, " did not give the credentials of role '", role,
                                         "' (HTTP ", answer.status, ")"));
  }
  ASSIGN_OR_RETURN(Credentials c, ParseInstanceCredentialsJson(answer.body, what));
  RETURN_IF_ERROR(CheckNotExpired(c, what));
  return c;
}

Result<Credentials> FetchWebIdentityCredentials(const std::string& sts_endpoint,
                                                const std::string& role_arn,
                                                const std::string& token_file) {
  const std::string base = BaseUrl(sts_endpoint);
  const std::string what = StrCat("STS (", base, ")");
  // The file is rewritten by the kubelet as the projected token rotates: read it each time.
  ASSIGN_OR_RETURN(std::string token,
                   ReadWholeFile(token_file, "AWS_WEB_IDENTITY_TOKEN_FILE"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  std::string session = GetEnv("AWS_ROLE_SESSION_NAME");
  if (session.empty()) session = StrCat("milvus-migration-", std::time(nullptr));
  CredentialHttpRequest post;
  post.method = "POST";
  post.url = base + "/";
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = FormEncode({{"Action", "AssumeRoleWithWebIdentity"},
                          {"Version", "2011-06-15"},
                          {"RoleArn", role_arn},
                          {"RoleSessionName", session},
                          {"WebIdentityToken", token}});
  ASSIGN_OR_RETURN(CredentialHttpResponse answer, CredentialHttpCall(post, what));
  ASSIGN_OR_RETURN(Credentials c,
                   ParseAssumeRoleWithWebIdentity(answer.body, answer.status, what));
  RETURN_IF_ERROR(CheckNotExpired(c, what));
  return c;
}

Result<Credentials> FetchGceMetadataToken(const std::string& metadata_host) {
  const std::string base = BaseUrl(metadata_host);
  const std::string what = StrCat("the GCE metadata server (", base, ")");
  CredentialHttpRequest get;
  get.url = base + "/computeMetadata/v1/instance/service-accounts/default/token";
  get.headers = {{"Metadata-Flavor", "Google"}};
  const TimePoint now = std::chrono::system_clock::now();
  ASSIGN_OR_RETURN(CredentialHttpResponse answer, CredentialHttpCall(get, what));
  ASSIGN_OR_RETURN(Credentials c, ParseOAuth2TokenJson(answer.body, answer.status, now, what));
  RETURN_IF_ERROR(CheckNotExpired(c, what));
  return c;
}

Result<Credentials> FetchServiceAccountToken(const std::string& key_file) {
  const std::string origin = StrCat("GOOGLE_APPLICATION_CREDENTIALS (", key_file, ")");
  ASSIGN_OR_RETURN(std::string key_json, ReadWholeFile(key_file, "GOOGLE_APPLICATION_CREDENTIALS"));
  const TimePoint now = std::chrono::system_clock::now();
  ASSIGN_OR_RETURN(std::string assertion, ServiceAccountAssertion(key_json, now, origin));
  Json key = Json::parse(key_json, nullptr, false);
  std::string token_uri = StringField(key, "token_uri");
  if (token_uri.empty()) token_uri = "https://oauth2.googleapis.com/token";
  const std::string what = StrCat("the OAuth2 token endpoint ", token_uri, " of ", origin);
  CredentialHttpRequest post;
  post.method = "POST";
  post.url = token_uri;
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  post.body = FormEncode({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                          {"assertion", assertion}});
  ASSIGN_OR_RETURN(CredentialHttpResponse answer, CredentialHttpCall(post, what));
  ASSIGN_OR_RETURN(Credentials c, ParseOAuth2TokenJson(answer.body, answer.status, now, what));
  RETURN_IF_ERROR(CheckNotExpired(c, what));
  return c;
}

Result<Credentials> FetchEcsRamRoleCredentials(const std::string& endpoint) {
  const std::string base = BaseUrl(endpoint);
  const std::string what = StrCat("the ECS metadata service (", base, ")");
  CredentialHttpRequest list;
  list.url = base + "/latest/meta-data/ram/security-credentials/";
  ASSIGN_OR_RETURN(CredentialHttpResponse roles, CredentialHttpCall(list, what));
  const std::string role = FirstLine(roles.body);
  if (roles.status != 200 || role.empty()) {
    return absl::FailedPreconditionError(StrCat(
        what, " names no RAM role for this instance (HTTP ", roles.status,
        "); attach a RAM role or set ak/sk"));
  }
  CredentialHttpRequest get = list;
  get.url += role;
  ASSIGN_OR_RETURN(CredentialHttpResponse answer, CredentialHttpCall(get, what));
  if (answer.status != 200) {
    return absl::UnavailableError(StrCat(what, " did not give the credentials of RAM role '",
                                         role, "' (HTTP ", answer.status, ")"));
  }
  ASSIGN_OR_RETURN(Credentials c, ParseInstanceCredentialsJson(answer.body, what));
  RETURN_IF_ERROR(CheckNotExpired(c, what));
  return c;
}

Result<std::shared_ptr<CredentialProvider>> IamCredentialProvider(std::string_view cloud,
                                                                  std::string_view section) {
  if (cloud == "aws" || cloud == "minio" || cloud == "s3") {
    Credentials env;
    env.access_key = GetEnv("AWS_ACCESS_KEY_ID");
    env.secret_key = GetEnv("AWS_SECRET_ACCESS_KEY");
    env.session_token = GetEnv("AWS_SESSION_TOKEN");
    if (!env.access_key.empty() && !env.secret_key.empty()) {
      return std::shared_ptr<CredentialProvider>(std::make_shared<StaticCredentialProvider>(
          std::move(env), "AWS_ACCESS_KEY_ID (useIAM)"));
    }
    const std::string role_arn = GetEnv("AWS_ROLE_ARN");
    const std::string token_file = GetEnv("AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!role_arn.empty() && !token_file.empty()) {
      std::string sts = GetEnv("AWS_ENDPOINT_URL_STS");
      if (sts.empty()) {
        std::string region = GetEnv("AWS_REGION");
        sts = region.empty() ? "https://sts.amazonaws.com"
                             : StrCat("https://sts.", region, ".amazonaws.com");
      }
      return std::shared_ptr<CredentialProvider>(std::make_shared<RefreshingCredentialProvider>(
          [sts, role_arn, token_file] {
            return FetchWebIdentityCredentials(sts, role_arn, token_file);
          },
          StrCat("web identity ", role_arn, " (useIAM)")));
    }
    std::string imds = GetEnv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (imds.empty()) imds = "http://169.254.169.254";
    return std::shared_ptr<CredentialProvider>(std::make_shared<RefreshingCredentialProvider>(
        [imds] { return FetchEc2InstanceCredentials(imds); },
        "the EC2 instance role (useIAM)"));
  }
  if (cloud == "gcp") {
    const std::string key_file = GetEnv("GOOGLE_APPLICATION_CREDENTIALS");
    if (!key_file.empty()) {
      return std::shared_ptr<CredentialProvider>(std::make_shared<RefreshingCredentialProvider>(
          [key_file] { return FetchServiceAccountToken(key_file); },
          StrCat("the service account of GOOGLE_APPLICATION_CREDENTIALS (useIAM)")));
    }
    std::string host = GetEnv("GCE_METADATA_HOST");
    if (host.empty()) host = "http://metadata.google.internal";
    return std::shared_ptr<CredentialProvider>(std::make_shared<RefreshingCredentialProvider>(
        [host] { return FetchGceMetadataToken(host); },
        "the GCE metadata server's service account (useIAM)"));
  }
  if (cloud == "ali") {
    std::string endpoint = GetEnv("ALIBABA_CLOUD_ECS_METADATA_ENDPOINT");
    if (endpoint.empty()) endpoint = "http://100.100.100.200";
    return std::shared_ptr<CredentialProvider>(std::make_shared<RefreshingCredentialProvider>(
        [endpoint] { return FetchEcsRamRoleCredentials(endpoint); },
        "the ECS instance RAM role (useIAM)"));
  }
  return absl::InvalidArgumentError(
      StrCat(section, ".useIAM: cloud '", cloud,
             "' has no instance identity support here; set ", section, ".ak and .sk"));
}

}  // namespace mm
