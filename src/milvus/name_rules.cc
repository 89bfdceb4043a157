#include "milvus/name_rules.h"

namespace mm {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status ValidateMilvus2xName(std::string_view name, std::string_view what) {
  const std::string quoted = StrCat("'", name, "'");
  if (name.empty()) return absl::InvalidArgumentError(StrCat(what, " must not be empty"));
  if (name.size() > kMaxMilvusNameLength) {
    return absl::InvalidArgumentError(StrCat(what, " ", quoted, " is ", name.size(),
                                             " characters long; Milvus allows at most ",
                                             kMaxMilvusNameLength));
  }
  if (!IsLetter(name[0]) && name[0] != '_') {
    return absl::InvalidArgumentError(
        StrCat(what, " ", quoted, " must start with a letter or '_'"));
  }
  for (char c : name) {
    if (!IsLetter(c) && !IsDigit(c) && c != '_') {
      return absl::InvalidArgumentError(StrCat(what, " ", quoted, " may hold only letters, ",
                                               "digits and '_' (found '", std::string(1, c),
                                               "')"));
    }
  }
  return absl::OkStatus();
}

std::string ToMilvus2xName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || IsDigit(name[0])) out.push_back('_');
  for (char c : name) out.push_back(IsLetter(c) || IsDigit(c) || c == '_' ? c : '_');
  if (out.size() > kMaxMilvusNameLength) out.resize(kMaxMilvusNameLength);
  return out;
}

}  // namespace mm
