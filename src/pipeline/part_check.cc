#include "pipeline/part_check.h"

#include <map>
#include <set>

namespace mm {

std::string PartProblem::Describe(const Storage& storage) const {
  const std::string name = StrCat(storage.Describe(), "/", file);
  if (!found) {
    return expected ? StrCat(name, " is missing (expected ", *expected, " bytes)")
                    : StrCat(name, " is missing");
  }
  if (expected) return StrCat(name, " holds ", *found, " bytes, expected ", *expected);
  return StrCat(name, " holds ", *found, " bytes, less than the ", part_bytes,
                " payload bytes its part recorded");
}

Result<std::vector<PartProblem>> CheckParts(Storage& storage, const Manifest& manifest) {
  // The folders to list: the first segment of every part directory.
  std::set<std::string> folders;
  for (const auto& c : manifest.collections) {
    for (const auto& [id, task] : c.tasks) {
      for (const auto& part : task.parts) folders.insert(part.dir.substr(0, part.dir.find('/')));
    }
  }
  std::map<std::string, uint64_t> sizes;
  for (const auto& folder : folders) {
    ASSIGN_OR_RETURN(std::vector<FileInfo> files, storage.List(folder));
    for (auto& f : files) sizes.emplace(std::move(f.path), f.size);
  }

  std::vector<PartProblem> problems;
  for (size_t c = 0; c < manifest.collections.size(); ++c) {
    for (const auto& [id, task] : manifest.collections[c].tasks) {
      for (const auto& part : task.parts) {
        const bool sized = part.file_bytes.size() == part.files.size();
        uint64_t total = 0;
        std::optional<PartProblem> first_present;
        for (size_t i = 0; i < part.files.size(); ++i) {
          PartProblem p{.collection = c, .task = id, .part_dir = part.dir,
                        .file = part.files[i], .part_bytes = part.bytes};
          if (sized) p.expected = part.file_bytes[i];
          auto it = sizes.find(part.files[i]);
          if (it != sizes.end()) {
            p.found = it->second;
            total += it->second;
            if (!first_present) first_present = p;
          }
          if (!p.found || (p.expected && *p.found != *p.expected)) {
            problems.push_back(std::move(p));
          }
        }
        // An older manifest knows only the payload total, which the files' sizes (payload
        // plus headers) must reach.
        if (!sized && first_present && total < part.bytes &&
            (problems.empty() || problems.back().part_dir != part.dir)) {
          problems.push_back(*first_present);
        }
      }
    }
  }
  return problems;
}

}  // namespace mm
