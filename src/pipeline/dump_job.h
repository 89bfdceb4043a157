// Dump: a source's tasks, run on a bounded pool of workers, each streaming its batches
// into bulk-import parts cut at a byte size. Memory stays flat: a worker holds one batch.
// Progress is checkpointed per finished task in the manifest, so a rerun skips them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "pipeline/manifest.h"
#include "pipeline/row_validator.h"
#include "pipeline/run_observer.h"
#include "pipeline/sink.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

struct DumpOptions {
  int workers = 2;
  uint64_t part_bytes = 1ull << 30;  // a part is cut once its files reach this size
  std::string source_kind;           // recorded in the manifest ("faiss")
  std::string source_id;             // identifies what was read; a different one is refused
  // dumper.invalidRows: an invalid row (a non-finite value, a document that does not fit)
  // stops the dump, or is left out and counted.
  InvalidRows invalid_rows = InvalidRows::kFail;
  // dumper.maxInvalidRatio: the dump fails once the rows left out of a collection are more
  // than this share (0..1) of the rows its source holds; < 0 for no limit.
  double max_invalid_ratio = -1;
  // Called with the plans before anything is read or written (e.g. `start` checks that the
  // target collections can take the rows); its error ends the dump.
  std::function<Status(const std::vector<CollectionPlan>&)> check_plans;
  // `start` imports parts while the dump goes on (Sink::BeginParts): `on_plan_checkpointed`
  // once the checkpoint holds this run's plan, before the first task runs; `on_checkpointed`
  // after every part or task checkpointed since. Either one's error stops the dump. May be
  // empty.
  std::function<Status(const std::vector<CollectionPlan>&)> on_plan_checkpointed;
  std::function<Status()> on_checkpointed;
  // Test-only (MM_TEST_DUMP_PAUSE_AFTER_PART_MS): sleep this long after each part or task
  // checkpointed, so a test can see the load run beside a slow dump and kill it there. 0 in
  // real runs.
  int64_t test_pause_after_checkpoint_ms = 0;
  // Sees the same rows and bytes as the dump's Progress, per collection; may be null.
  // Must outlive RunDump.
  RunObserver* observer = nullptr;
  // A sink that takes batches (SinkInput::kBatches; loader.mode insert/upsert): each task's
  // batches go to its TaskWriter in place of the part writer; each collection is Prepared
  // before its tasks and Finished once the dump is complete. Null: bulk-import parts. Must
  // outlive RunDump.
  Sink* batch_sink = nullptr;
  // With batch_sink: a task's writer is flushed and its position checkpointed once this
  // many bytes of batches went to it since the last checkpoint (and at the task's end).
  uint64_t flush_bytes = 64ull << 20;
};

struct DumpSummary {
  int64_t rows = 0;
  uint64_t bytes = 0;
  int parts = 0;
  int tasks_skipped = 0;  // already done in an earlier run
  double seconds = 0;
  int64_t rows_skipped = 0;  // invalid rows left out (dumper.invalidRows: skip)
  std::vector<std::pair<std::string, SkippedRows>> skipped;  // by collection, those with any
};

// "2 rows skipped: 'c' id 1500 (field 'data' component 3 is NaN), ..." over `skipped`
// (collection, its skips), naming at most `max_examples` rows; "0 rows skipped" for none.
std::string DescribeSkipped(const std::vector<std::pair<std::string, SkippedRows>>& skipped,
                            size_t max_examples = 5);

// Dumps everything `source` plans into `storage` (whose root is the output directory) and
// marks the manifest complete. Every batch goes through a RowValidator first; rows left out
// are counted per task and collection in the manifest. FailedPrecondition (the manifest
// left incomplete) when a collection's source held rows and every one was left out, or
// when more were left out than max_invalid_ratio allows.
// A task is never dumped again from its start (its parts replaced) once a part of it was
// submitted to Milvus (the manifest's LoadState): FailedPrecondition naming the part instead,
// since the rows would then be imported twice.
// REQUIRES: `store` reads and writes that same storage, and the caller holds its OutputLock
// (this deletes leftovers it finds there).
Result<DumpSummary> RunDump(Source& source, Storage& storage, ManifestStore& store,
                            const DumpOptions& options);

}  // namespace mm
