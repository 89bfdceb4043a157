#include "storage/azure_imds.h"

#include <curl/curl.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/redact.h"

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

}  // namespace

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
    CURL* h = curl_easy_init();
    if (h == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    std::string url = StrCat(options.endpoint,
                             "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=",
                             Escape(h, "https://storage.azure.com/"));
    if (!options.client_id.empty()) url += "&client_id=" + Escape(h, options.client_id);
    std::string body;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    struct curl_slist* headers = curl_slist_append(nullptr, "Metadata: true");
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // IMDS is never reached through a proxy
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout_ms));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    const std::string where = StrCat("the managed identity endpoint ", RedactUrl(options.endpoint),
                                     " (useIAM)");
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat(
          "cannot reach ", where, ": ",
          RedactText(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc)),
          "; useIAM on Azure needs a VM or pod with a managed identity, or give a SAS token "
          "in sk"));
    }
    if (status != 200) {
      // IMDS answers {"error": ..., "error_description": ...}; neither holds a secret.
      nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
      std::string why = j.is_object() ? j.value("error_description", j.value("error", "")) : "";
      auto code = status == 400 || status == 401 || status == 403 || status == 404
                      ? absl::StatusCode::kPermissionDenied
                      : absl::StatusCode::kUnavailable;
      return Status(code, StrCat(where, " refused a token for Azure Storage (HTTP ", status,
                                 why.empty() ? "" : ": " + why, ")"));
    }
    Result<BearerToken> token = ParseImdsToken(body);
    if (!token.ok()) return Annotate(token.status(), where);
    return token;
  };
}

}  // namespace mm
