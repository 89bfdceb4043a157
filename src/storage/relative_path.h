// The one rule for paths handed to a Storage: relative, '/'-separated, never leaving the
// root. Both the local and the S3 storage apply it, so the same path names the same file in
// either. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mm {

// Drops empty and "." segments ("a//./b/" -> "a/b"); refuses a leading '/' and any ".."
// with InvalidArgument naming `path` and `root` (how the storage describes itself). The
// empty path (the root itself) comes back as "".
Result<std::string> NormalizeRelativePath(std::string_view path, std::string_view root);

}  // namespace mm
