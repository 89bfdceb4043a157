#include "storage/azure_workload_identity.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/redact.h"
#include "storage/azure_imds.h"

namespace mm {
namespace {

size_t Collect(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

std::string Escape(CURL* h, const std::string& s) {
  char* e = curl_easy_escape(h, s.c_str(), static_cast<int>(s.size()));
  std::string out = e == nullptr ? "" : e;
  curl_free(e);
  return out;
}

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
    CURL* h = curl_easy_init();
    if (h == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    const std::string url =
        StrCat(options.authority, "/", Escape(h, options.tenant_id), "/oauth2/v2.0/token");
    const std::string form = StrCat(
        "client_id=", Escape(h, options.client_id), "&client_assertion=", Escape(h, jwt),
        "&client_assertion_type=",
        Escape(h, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        "&grant_type=client_credentials&scope=", Escape(h, "https://storage.azure.com/.default"));
    std::string body;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    struct curl_slist* headers =
        curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    const std::string where = StrCat("Microsoft Entra ID at ", RedactUrl(url),
                                     " (workload identity, client ", options.client_id, ")");
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat(
          "cannot reach ", where, ": ",
          RedactText(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc))));
    }
    if (status != 200) {
      nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
      std::string why = j.is_object() ? j.value("error_description", j.value("error", "")) : "";
      why = why.substr(0, why.find_first_of("\r\n"));  // Entra appends trace ids
      auto code = status >= 500 ? absl::StatusCode::kUnavailable
                                : absl::StatusCode::kPermissionDenied;
      return Status(code, StrCat(where, " refused the federated token (HTTP ", status,
                                 why.empty() ? "" : ": " + why, ")"));
    }
    Result<BearerToken> token = ParseImdsToken(body);
    if (!token.ok()) return Annotate(token.status(), where);
    return token;
  };
}

}  // namespace mm
