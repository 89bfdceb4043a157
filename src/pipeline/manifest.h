// The migration's checkpoint: a small JSON document (manifest.json at the root of the
// output) that records what the dump produced and what the load has imported, replaced
// atomically after every finished task or import. `start`, `dump` and `load` resume from
// it: finished tasks are not dumped again, imported parts are not imported again, and an
// import submitted before a crash is polled by its Milvus task id, never resubmitted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"
#include "core/skipped_rows.h"
#include "core/status.h"
#include "formats/part_writer.h"
#include "storage/storage.h"

namespace mm {

struct TaskRecord {
  bool done = false;
  int64_t rows = 0;
  std::vector<PartInfo> parts;
  // For a task not done: where its source continues after the rows of `parts`
  // (BatchReader::PositionAfter), so a rerun keeps those parts and reads on from there.
  // "" when nothing of the task is kept.
  std::string position;
  // Rows the source read for `parts` (up to `position`) but left out as invalid
  // (dumper.invalidRows: skip); `rows` does not count them.
  SkippedRows skipped;
  // A batch sink (loader.mode insert): rows after `position` that may have reached the target
  // before this checkpoint was superseded (written before they are sent). A rerun sends
  // these again with Upsert, which replaces rather than doubles them; 0 when none.
  int64_t rows_in_doubt = 0;
};

struct ImportRecord {
  // The intent to submit, written before the Import call: a run that dies before it records
  // the task ids leaves this behind, and the next run looks for the task it may have
  // submitted (by the part's files, created at or after `intent_unix_s`) before submitting
  // again. `intent_token` names the attempt in logs; Milvus' gRPC Import cannot carry it.
  std::string intent_token;
  int64_t intent_unix_s = 0;
  std::vector<int64_t> task_ids;  // Milvus import task ids, once submitted
  bool completed = false;
  int64_t rows = 0;
};

// What a load has done to one collection in one Milvus. Reset as a whole when a load
// starts over: against another Milvus, after a verified load, or when the collection it
// prepared has since disappeared.
struct LoadState {
  std::string target;        // the Milvus endpoint and database it refers to
  // Set once the target collection is prepared, so a resumed load does not apply ifExists
  // again to a collection it created itself.
  bool prepared = false;
  bool created = false;      // the load created the collection (so may drop it on failure)
  int64_t rows_before = 0;   // rows the collection held before (ifExists: append)
  bool verified = false;     // every part imported and the row count checked
  // A batch sink: the collection's tasks are read again from the start (a source that cannot
  // resume part-way) after rows were sent, so every row goes by Upsert.
  bool resend_as_upsert = false;
  // Rows went by Upsert (loader.mode upsert, or rows in doubt sent again): Milvus' statistics
  // count a replaced row until compaction, so the count check needs count(*).
  bool rows_replaced = false;
  std::map<std::string, ImportRecord> imports;  // by part dir
};

struct CollectionManifest {
  Schema schema;
  std::string metric_type;
  int32_t shards_num = 0;
  std::string consistency_level;               // "" = the load's default
  std::vector<std::string> partitions;
  std::vector<IndexSpec> indexes;              // CollectionPlan::indexes
  int64_t total_rows = 0;                      // rows the dump wrote
  SkippedRows skipped;                         // rows it left out, over all tasks
  std::map<std::string, TaskRecord> tasks;     // by SourceTask::id
  LoadState load;
};

struct Manifest {
  std::string source;       // "faiss", ...
  std::string source_id;    // what was read, e.g. the file and its size
  bool dump_complete = false;
  std::vector<CollectionManifest> collections;
};

std::string ManifestToJson(const Manifest& manifest);
// DataLoss naming `name` when the document is not a manifest of this tool.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& name);

// Owns the manifest during a job: updates are serialized and each is persisted before
// Update returns. Thread-safe.
class ManifestStore {
 public:
  static constexpr const char* kFileName = "manifest.json";

  // `storage` must outlive the store.
  explicit ManifestStore(Storage* storage) : storage_(storage) {}

  // Reads manifest.json; nullopt when there is none.
  Result<std::optional<Manifest>> Load();
  // Replaces the manifest, persisting it.
  Status Reset(Manifest manifest);
  // Applies `fn` to the manifest and persists the result.
  template <typename Fn>
  Status Update(Fn&& fn) {
    std::lock_guard lock(mu_);
    fn(manifest_);
    return PersistLocked();
  }
  // Calls `fn(const Manifest&)` under the lock: reads a part without copying the whole.
  template <typename Fn>
  void Read(Fn&& fn) const {
    std::lock_guard lock(mu_);
    fn(manifest_);
  }
  Manifest Snapshot() const {
    std::lock_guard lock(mu_);
    return manifest_;
  }

 private:
  Status PersistLocked();

  Storage* storage_;
  mutable std::mutex mu_;
  Manifest manifest_;
};

}  // namespace mm
