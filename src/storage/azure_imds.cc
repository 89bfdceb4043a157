#include "storage/azure_imds.h"

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/redact.h"
#include "storage/credential_http.h"
#include "storage/sigv4.h"

namespace mm {

ImdsOptions ImdsOptionsFromEnvironment() {
  ImdsOptions o;
  if (const char* host = std::getenv("AZURE_POD_IDENTITY_AUTHORITY_HOST"); host && *host) {
    o.endpoint = host;
    while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  }
  if (const char* id = std::getenv("AZURE_CLIENT_ID"); id && *id) o.client_id = id;
  return o;
}

Result<BearerToken> ParseImdsToken(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return absl::DataLossError("the managed identity answer is not a JSON object");
  }
  auto token = j.find("access_token");
  if (token == j.end() || !token->is_string() || token->get<std::string>().empty()) {
    return absl::DataLossError("the managed identity answer has no access_token");
  }
  BearerToken out;
  out.token = token->get<std::string>();
  // expires_on is epoch seconds, as a string (IMDS) or a number (some proxies).
  auto expires = j.find("expires_on");
  if (expires != j.end()) {
    if (expires->is_number_integer()) {
      out.expires_on = expires->get<int64_t>();
    } else if (expires->is_string()) {
      const std::string s = expires->get<std::string>();
      char* end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (end != s.c_str() && *end == '\0') out.expires_on = v;
    }
  }
  if (out.expires_on == 0) {
    if (auto in = j.find("expires_in"); in != j.end()) {
      int64_t seconds = in->is_number_integer() ? in->get<int64_t>()
                        : in->is_string()       ? std::atoll(in->get<std::string>().c_str())
                                                : 0;
      if (seconds > 0) out.expires_on = static_cast<int64_t>(std::time(nullptr)) + seconds;
    }
  }
  return out;
}

BearerTokenSource ImdsTokenSource(ImdsOptions options) {
  return [options]() -> Result<BearerToken> {
    CredentialHttpRequest request;
    request.url = StrCat(options.endpoint,
                         "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=",
                         sigv4::UriEncode("https://storage.azure.com/", true));
    if (!options.client_id.empty()) {
      request.url += "&client_id=" + sigv4::UriEncode(options.client_id, true);
    }
    request.headers = {{"Metadata", "true"}};
    request.timeout_ms = static_cast<long>(options.timeout_ms);
    request.bypass_proxy = true;
    const std::string where = StrCat("the managed identity endpoint ", RedactUrl(options.endpoint),
                                     " (useIAM)");
    Result<CredentialHttpResponse> answer =
        CredentialHttpCall(request, "the managed identity endpoint (useIAM)");
    if (!answer.ok()) {
      // The hint follows the reason: without an identity there is nothing to retry.
      return Status(answer.status().code(),
                    StrCat(answer.status().message(),
                           "; useIAM on Azure needs a VM or pod with a managed identity, or give "
                           "a SAS token in sk"));
    }
    if (answer->status != 200) {
      // IMDS answers {"error": ..., "error_description": ...}; neither holds a secret.
      nlohmann::json j = nlohmann::json::parse(answer->body, nullptr, false);
      std::string why = j.is_object() ? j.value("error_description", j.value("error", "")) : "";
      const long status = answer->status;
      auto code = status == 400 || status == 401 || status == 403 || status == 404
                      ? absl::StatusCode::kPermissionDenied
                      : absl::StatusCode::kUnavailable;
      return Status(code, StrCat(where, " refused a token for Azure Storage (HTTP ", status,
                                 why.empty() ? "" : ": " + why, ")"));
    }
    Result<BearerToken> token = ParseImdsToken(answer->body);
    if (!token.ok()) return Annotate(token.status(), where);
    return token;
  };
}

}  // namespace mm
