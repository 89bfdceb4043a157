// Dump: a source's tasks, run on a bounded pool of workers, each streaming its batches
// into bulk-import parts cut at a byte size. Memory stays flat: a worker holds one batch.
// Progress is checkpointed per finished task in the manifest, so a rerun skips them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/manifest.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

struct DumpOptions {
  int workers = 2;
  uint64_t part_bytes = 1ull << 30;  // a part is cut once its files reach this size
  std::string source_kind;           // recorded in the manifest ("faiss")
  std::string source_id;             // identifies what was read; a different one is refused
  // Called with the plans before anything is read or written (e.g. `start` checks that the
  // target collections can take the rows); its error ends the dump.
  std::function<Status(const std::vector<CollectionPlan>&)> check_plans;
};

struct DumpSummary {
  int64_t rows = 0;
  uint64_t bytes = 0;
  int parts = 0;
  int tasks_skipped = 0;  // already done in an earlier run
  double seconds = 0;
};

// Dumps everything `source` plans into `storage` (whose root is the output directory) and
// marks the manifest complete. REQUIRES: `store` reads and writes that same storage.
Result<DumpSummary> RunDump(Source& source, Storage& storage, ManifestStore& store,
                            const DumpOptions& options);

}  // namespace mm
