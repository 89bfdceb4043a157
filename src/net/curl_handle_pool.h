// Idle libcurl easy handles kept for reuse, so that a client's requests reuse connections
// (and TLS sessions) instead of opening a new one each time. Thread-safe: any thread may
// borrow a handle, use it alone, and give it back.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <mutex>
#include <vector>

namespace mm {

class CurlHandlePool {
 public:
  // At most `max_idle` handles wait for reuse; more are cleaned up when given back.
  explicit CurlHandlePool(size_t max_idle = 64) : max_idle_(max_idle) {}
  ~CurlHandlePool();
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  // An idle handle, or a new one; nullptr only when curl cannot make one. The caller
  // resets it (curl_easy_reset) before setting its options.
  CURL* Acquire();
  // Gives back a handle from Acquire.
  void Release(CURL* handle);

 private:
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace mm
