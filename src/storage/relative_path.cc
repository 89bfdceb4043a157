#include "storage/relative_path.h"

namespace mm {

Result<std::string> NormalizeRelativePath(std::string_view path, std::string_view root) {
  if (!path.empty() && path.front() == '/') {
    return absl::InvalidArgumentError(
        StrCat("path '", path, "' must be relative to the storage root ", root));
  }
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      return absl::InvalidArgumentError(
          StrCat("path '", path, "' must not contain '..' (storage root ", root, ")"));
    }
    if (!seg.empty() && seg != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(seg);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace mm
