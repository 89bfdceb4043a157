// Errors as values: one Status type (absl::Status) and one Result<T> (absl::StatusOr<T>)
// for every module boundary. Codes follow gRPC's, so a Milvus transport error maps one to one.
//
// Messages name what failed (file, offset, key, field) and what was expected.
// Codes: NotFound for missing input, DataLoss for corrupt bytes, InvalidArgument for bad
// config, Unimplemented for unsupported formats, Unavailable for unreachable servers.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mm {

using Status = absl::Status;
template <typename T>
using Result = absl::StatusOr<T>;

// Concatenates anything streamable. Debian's Abseil has its own string_view, so
// absl::StrCat does not take std::string_view; use this everywhere instead.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// True for the codes worth retrying: the server may answer later.
inline bool IsTransient(const Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s);
}

// Prefixes a status message with context ("while reading x: ..."), keeping the code.
inline Status Annotate(const Status& s, std::string_view context) {
  if (s.ok()) return s;
  return Status(s.code(), StrCat(context, ": ", s.message()));
}

}  // namespace mm

#define MM_CONCAT_INNER(a, b) a##b
#define MM_CONCAT(a, b) MM_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::mm::Status _mm_status = (expr);           \
    if (!_mm_status.ok()) return _mm_status;    \
  } while (0)

#define MM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) \
  MM_ASSIGN_OR_RETURN_IMPL(MM_CONCAT(_mm_result_, __LINE__), lhs, expr)
