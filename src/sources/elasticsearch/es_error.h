#pragma once

#include <string>
#include <string_view>

namespace mm {

// The server's error reason from an error body ({"error":{"type","reason","root_cause"}}),
// with the first root cause when it says more, or a prefix of the body when it has none.
std::string EsErrorReason(const std::string& body);

// Whether a failure of type `type` means the search context (scroll or point in time) a
// request named is gone: it expired, was cleared, its node restarted, or it was released
// while the request was being answered (ES then says the context is "already closed").
bool IsLostSearchContext(std::string_view type, std::string_view reason);

// Whether an error body says only that: every root cause is a lost search context.
bool IsLostSearchContextError(const std::string& body);

}  // namespace mm
