// What a finished libcurl transfer says about its connection, for retry budgets: an attempt
// that never connected spent its time connecting (that time counts against the budget), one
// that connected spent it transferring (the budget starts when it fails).
#pragma once

#include <curl/curl.h>

namespace mm {

// True when `handle`'s last transfer, which ended with `code`, had a connection: a connect
// time was recorded, an HTTP status came back, or the failure is one of the transfer phase
// (send, receive, nothing or part of an answer). Refused, unresolved and timed-out connects
// are false. Call before the handle is reset or reused.
bool CurlAttemptConnected(CURL* handle, CURLcode code);

}  // namespace mm
