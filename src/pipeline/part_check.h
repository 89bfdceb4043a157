// A checkpoint is never trusted unchecked: before a dump rerun skips the tasks the manifest
// marks done, and before a load imports, every file each part lists must be in the output
// storage with exactly the size the part writer recorded. A file can go missing or come up
// short after the manifest was written (deleted by hand, a full disk truncating it, another
// run's cleanup); the dump then redoes the task, the load names the part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/manifest.h"
#include "storage/storage.h"

namespace mm {

// One file of a part that is not in storage as the manifest recorded it.
struct PartProblem {
  size_t collection = 0;  // index into Manifest::collections
  std::string task;       // the task (SourceTask::id) whose part it is
  std::string part_dir;   // PartInfo::dir
  std::string file;       // storage path of the file
  // Bytes the manifest recorded for the file; nullopt for manifests that predate per-file
  // sizes, where only the part's payload total is known (`part_bytes`).
  std::optional<uint64_t> expected;
  uint64_t part_bytes = 0;
  std::optional<uint64_t> found;  // nullopt: the file is missing

  // "<storage>/<file> is missing (expected 4096 bytes)" or "... holds 100 bytes, expected 4096".
  std::string Describe(const Storage& storage) const;
};

// Checks every file of every part of every task in `manifest` against one listing per
// top-level folder of the output (one List per collection, not one HEAD per file). Returns
// the problems in manifest order; empty when everything is there. Storage errors as they come.
Result<std::vector<PartProblem>> CheckParts(Storage& storage, const Manifest& manifest);

}  // namespace mm
