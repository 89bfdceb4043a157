#include "net/http_exchange.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "core/redact.h"
#include "net/curl_attempt.h"

namespace mm {
namespace {

constexpr int kBackoffBaseMs = 250;
constexpr int kBackoffCapMs = 8000;

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

// One request in flight: where the body comes from and where the answer goes.
struct Transfer {
  const HttpAttempt* attempt = nullptr;
  HttpResponse* response = nullptr;
  CURL* handle = nullptr;
  size_t read_pos = 0;
  bool routed = false;  // whether the body destination was decided
  bool to_sink = false;
  uint64_t skip = 0;
  bool whole_object = false;  // a 200 to a ranged GET: stop once the sink is full
  bool stopped_early = false;
  bool overflow = false;
};

size_t OnWrite(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * nmemb;
  if (!t->routed) {
    long code = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &code);
    t->to_sink = t->attempt->sink != nullptr && code >= 200 && code < 300;
    t->whole_object = t->to_sink && code == 200 && t->attempt->skip_if_whole > 0;
    t->skip = t->whole_object ? t->attempt->skip_if_whole : 0;
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
  const size_t rest = len - off;
  const size_t space = t->attempt->sink_capacity - t->response->sink_bytes;
  const size_t copy = std::min(rest, space);
  std::memcpy(t->attempt->sink + t->response->sink_bytes, data + off, copy);
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
  const size_t len = size * nmemb;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    t->response->headers.clear();  // a new status line (after 100 Continue, say)
    return len;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
  }
  return len;
}

size_t OnRead(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view body = t->attempt->body;
  const size_t n = std::min(size * nitems, body.size() - t->read_pos);
  std::memcpy(buffer, body.data() + t->read_pos, n);
  t->read_pos += n;
  return n;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 ||
      static_cast<size_t>(offset) > t->attempt->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->read_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// What one transfer ended with.
struct Outcome {
  CURLcode code = CURLE_OK;
  bool connected = false;
  bool overflow = false;
  std::string error;  // curl's words, when code != CURLE_OK
};

Result<Outcome> Perform(CurlHandlePool& pool, const HttpAttempt& attempt, long connect_ms,
                        long stall_timeout_s, HttpResponse& response) {
  struct curl_slist* header_list = nullptr;
  for (const auto& [k, v] : attempt.headers) {
    header_list = curl_slist_append(header_list, StrCat(k, ": ", v).c_str());
  }
  header_list = curl_slist_append(header_list, "Expect:");  // no 100-continue round trip
  for (const std::string& name : attempt.suppressed_headers) {
    header_list = curl_slist_append(header_list, StrCat(name, ":").c_str());
  }

  CURL* h = pool.Acquire();
  if (h == nullptr) {
    curl_slist_free_all(header_list);
    return absl::ResourceExhaustedError("curl_easy_init failed");
  }
  curl_easy_reset(h);
  Transfer transfer;
  transfer.attempt = &attempt;
  transfer.response = &response;
  transfer.handle = h;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, attempt.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_timeout_s);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (attempt.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (attempt.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(attempt.body.size()));
  } else if (attempt.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, attempt.body.empty() ? "" : attempt.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(attempt.body.size()));
  } else if (attempt.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, attempt.method.c_str());
  }

  Outcome outcome;
  outcome.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  outcome.connected = CurlAttemptConnected(h, outcome.code);
  curl_slist_free_all(header_list);
  pool.Release(h);

  // A whole object answered to a ranged GET was cut off on purpose once the sink was full.
  if (outcome.code == CURLE_WRITE_ERROR && transfer.stopped_early) outcome.code = CURLE_OK;
  outcome.overflow = transfer.overflow;
  if (outcome.code != CURLE_OK) {
    outcome.error = RedactText(error_buffer[0] != '\0' ? std::string(error_buffer)
                                                       : curl_easy_strerror(outcome.code));
  }
  return outcome;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<HttpResponse> SendHttpWithRetries(
    CurlHandlePool& pool, const HttpRetryPolicy& policy, const HttpPeer& peer,
    std::string_view what, const std::function<Result<HttpAttempt>()>& next_attempt,
    const std::function<std::string(const HttpResponse&)>& transient) {
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
  const std::string who = StrCat(peer.service, " endpoint ", peer.endpoint);
  for (int attempt_number = 0;; ++attempt_number) {
    const auto attempt_start = Clock::now();
    ASSIGN_OR_RETURN(HttpAttempt attempt, next_attempt());
    // An unreachable host should not hold one attempt far past the budget.
    const int64_t connect_ms = std::min<int64_t>(
        policy.connect_timeout_ms, std::max<int64_t>(1000, policy.budget_ms - spent_ms()));
    HttpResponse response;
    ASSIGN_OR_RETURN(Outcome outcome, Perform(pool, attempt, static_cast<long>(connect_ms),
                                              policy.stall_timeout_s, response));
    if (outcome.overflow) {
      return absl::DataLossError(StrCat(what, ": ", peer.service, " sent more than the ",
                                        attempt.sink_capacity, " bytes asked for"));
    }
    const std::string transient_reason =
        outcome.code == CURLE_OK ? transient(response) : std::string();
    if ((outcome.code != CURLE_OK || !transient_reason.empty()) && !first_failure) {
      first_failure = outcome.connected ? Clock::now() : attempt_start;
    }
    const int64_t spent = spent_ms();
    const bool out_of_retries = spent >= policy.budget_ms ||
                                (policy.max_retries >= 0 && attempt_number >= policy.max_retries);
    std::string reason;
    if (outcome.code != CURLE_OK) {
      reason = outcome.error;
      if (IsPermanentCurlError(outcome.code)) {
        return absl::UnavailableError(StrCat("cannot reach ", who, " for ", what, ": ", reason));
      }
      if (out_of_retries) {
        return absl::UnavailableError(StrCat(
            "cannot reach ", who, " for ", what, ": ", reason, " (still failing after ",
            attempt_number + 1, attempt_number == 0 ? " attempt" : " attempts", " over ",
            spent / 1000, ".", spent % 1000 / 100, " s, the retry budget (", policy.budget_key,
            ": ", policy.budget_ms / 1000, "))"));
      }
    } else if (!transient_reason.empty()) {
      if (out_of_retries) return response;
      reason = transient_reason;
    } else {
      return response;
    }
    // Exponential backoff with jitter; the last wait ends when the budget does.
    const int cap = std::min(kBackoffCapMs, kBackoffBaseMs << std::min(attempt_number, 16));
    int delay = std::uniform_int_distribution<int>(cap / 2, cap)(rng);
    delay = static_cast<int>(std::min<int64_t>(delay, policy.budget_ms - spent));
    spdlog::warn("{} {} at {} failed ({}); retry {} in {} ms", peer.service, what, peer.endpoint,
                 reason, attempt_number + 1, delay);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(delay, 0)));
  }
}

}  // namespace mm
