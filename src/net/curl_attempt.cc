#include "net/curl_attempt.h"

namespace mm {

bool CurlAttemptConnected(CURL* handle, CURLcode code) {
  curl_off_t connect_us = 0;
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_CONNECT_TIME_T, &connect_us);
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (connect_us > 0 || status != 0) return true;
  // A reused connection records no connect time; these failures happen only on one.
  switch (code) {
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return true;
    default:
      return false;
  }
}

}  // namespace mm
