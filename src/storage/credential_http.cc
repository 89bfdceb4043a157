#include "storage/credential_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "core/redact.h"
#include "storage/sigv4.h"

namespace mm {
namespace {

size_t OnWrite(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<std::string*>(user)->append(data, size * nmemb);
  return size * nmemb;
}

}  // namespace

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += sigv4::UriEncode(name, true);
    out += '=';
    out += sigv4::UriEncode(value, true);
  }
  return out;
}

Result<CredentialHttpResponse> CredentialHttpCall(const CredentialHttpRequest& request,
                                                  const std::string& what) {
  std::string last_error;
  for (int attempt = 0; attempt < std::max(1, request.attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(),
                                                          &curl_easy_cleanup);
    if (h == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
    CredentialHttpResponse response;
    struct curl_slist* headers = nullptr;
    for (const auto& [k, v] : request.headers) {
      headers = curl_slist_append(headers, (k + ": " + v).c_str());
    }
    headers = curl_slist_append(headers, "Expect:");
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h.get(), CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, request.timeout_ms);
    curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT_MS, request.timeout_ms);
    curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 0L);
    if (request.bypass_proxy) curl_easy_setopt(h.get(), CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &response.body);
    if (request.method == "POST") {
      curl_easy_setopt(h.get(), CURLOPT_POST, 1L);
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "PUT") {
      curl_easy_setopt(h.get(), CURLOPT_CUSTOMREQUEST, "PUT");
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    CURLcode rc = curl_easy_perform(h.get());
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      last_error = RedactText(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc));
      continue;
    }
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &response.status);
    if ((response.status >= 500 || response.status == 429) && attempt + 1 < request.attempts) {
      last_error = StrCat("HTTP ", response.status);
      continue;
    }
    return response;
  }
  return absl::UnavailableError(StrCat("cannot reach ", what, " at ", request.url, ": ",
                                       last_error, " (", std::max(1, request.attempts),
                                       " attempts)"));
}

}  // namespace mm
