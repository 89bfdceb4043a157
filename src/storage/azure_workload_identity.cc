#include "storage/azure_workload_identity.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/redact.h"
#include "storage/azure_imds.h"
#include "storage/credential_http.h"
#include "storage/sigv4.h"

namespace mm {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::optional<WorkloadIdentityOptions> WorkloadIdentityFromEnvironment() {
  WorkloadIdentityOptions o;
  o.token_file = Env("AZURE_FEDERATED_TOKEN_FILE");
  o.tenant_id = Env("AZURE_TENANT_ID");
  o.client_id = Env("AZURE_CLIENT_ID");
  if (o.token_file.empty() || o.tenant_id.empty() || o.client_id.empty()) return std::nullopt;
  if (std::string host = Env("AZURE_AUTHORITY_HOST"); !host.empty()) {
    while (!host.empty() && host.back() == '/') host.pop_back();
    o.authority = host;
  }
  return o;
}

BearerTokenSource WorkloadIdentityTokenSource(WorkloadIdentityOptions options) {
  return [options]() -> Result<BearerToken> {
    std::ifstream in(options.token_file, std::ios::binary);
    std::stringstream assertion;
    assertion << in.rdbuf();
    std::string jwt = assertion.str();
    while (!jwt.empty() && (jwt.back() == '\n' || jwt.back() == '\r')) jwt.pop_back();
    if (!in || jwt.empty()) {
      return absl::NotFoundError(StrCat("cannot read the federated token file ",
                                        options.token_file,
                                        " (AZURE_FEDERATED_TOKEN_FILE, workload identity)"));
    }
    CredentialHttpRequest request;
    request.method = "POST";
    request.url = StrCat(options.authority, "/", sigv4::UriEncode(options.tenant_id, true),
                         "/oauth2/v2.0/token");
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = FormEncode({
        {"client_id", options.client_id},
        {"client_assertion", jwt},
        {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
        {"grant_type", "client_credentials"},
        {"scope", "https://storage.azure.com/.default"},
    });
    request.timeout_ms = static_cast<long>(options.timeout_ms);
    const std::string where = StrCat("Microsoft Entra ID at ", RedactUrl(request.url),
                                     " (workload identity, client ", options.client_id, ")");
    ASSIGN_OR_RETURN(
        CredentialHttpResponse answer,
        CredentialHttpCall(request, StrCat("Microsoft Entra ID (workload identity, client ",
                                           options.client_id, ")")));
    const long status = answer.status;
    if (status != 200) {
      nlohmann::json j = nlohmann::json::parse(answer.body, nullptr, false);
      std::string why = j.is_object() ? j.value("error_description", j.value("error", "")) : "";
      why = why.substr(0, why.find_first_of("\r\n"));  // Entra appends trace ids
      auto code = status >= 500 ? absl::StatusCode::kUnavailable
                                : absl::StatusCode::kPermissionDenied;
      return Status(code, StrCat(where, " refused the federated token (HTTP ", status,
                                 why.empty() ? "" : ": " + why, ")"));
    }
    Result<BearerToken> token = ParseImdsToken(answer.body);
    if (!token.ok()) return Annotate(token.status(), where);
    return token;
  };
}

}  // namespace mm
