// The load side of the stream, as src/sources/source.h is its read side: a sink takes the
// collections a source planned and puts their rows into Milvus. A sink consumes one of two
// inputs and says which, and the pipeline routes by that, never by the kind of sink:
//  - parts (SinkInput::kParts): the bulk-import parts a dump wrote to storage and recorded
//    in the checkpoint; RunLoad (pipeline/load_job.h) checks the dump, then hands it to
//    LoadParts. ImportSink (pipeline/import_sink.h, Milvus bulk import) is one.
//  - batches (SinkInput::kBatches): each task's batches as its reader yields them, in place
//    of the part writer; for an Insert/Upsert sink (targets without bulk import, 2.x to 2.x).
//    The pipeline prepares each collection, opens one TaskWriter per task, checkpoints the
//    task's source position after each Flush, and finishes each collection.
// Either way the sink records what it has done in the manifest's LoadState (pipeline/
// manifest.h), so a rerun neither loses nor doubles a row.
//
// Why src/pipeline/ and not a src/sinks/ beside src/sources/: a sink's state is the
// pipeline's checkpoint, and it uses the pipeline's target checks (collection_fit.h); sources
// depend on nothing in the pipeline, sinks do, so a folder of their own would depend on
// pipeline/ while pipeline/ depends on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "pipeline/manifest.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

enum class SinkInput {
  kParts,    // dumped bulk-import parts, after the dump
  kBatches,  // a task's batches, as the source yields them
};

struct LoadSummary {
  int64_t rows = 0;        // rows loaded by this run
  int parts = 0;           // parts loaded by this run (0 for a batch sink)
  int parts_skipped = 0;   // loaded by an earlier run
  double seconds = 0;
};

// Takes one task's batches into the target collection, for a batch sink. Not thread-safe;
// the pipeline opens one per task, and tasks run on different threads.
class TaskWriter {
 public:
  virtual ~TaskWriter() = default;
  // Sends the rows of `batch`; may return before the target acknowledged them (several
  // requests in flight).
  virtual Status Write(const Batch& batch) = 0;
  // Returns once every row written so far is acknowledged. The pipeline then checkpoints
  // the task's position (BatchReader::PositionAfter its last row written), so a rerun opens
  // the task there and sends no acknowledged row again.
  virtual Status Flush() = 0;
};

// Thread-safety: CheckTargets and LoadParts are called from one thread; OpenTask from the
// pipeline's workers concurrently.
class Sink {
 public:
  virtual ~Sink() = default;

  virtual SinkInput input() const = 0;
  // Names the sink in messages and the checkpoint: "import".
  virtual std::string_view kind() const = 0;

  // Before the source is read (`start`): every collection of `plans` must be able to take
  // its rows (ifExists, the schema of a collection to append to, rows of this migration
  // already in it). A collection the checkpoint in `output` already holds prepared by this
  // sink's target is the load's to resume. Errors name the collection and what to do.
  virtual Status CheckTargets(Storage& output, const std::string& source_id,
                              const std::vector<CollectionPlan>& plans) = 0;

  // kParts: loads every part the dump in `store` (read from `storage`, checked complete
  // and whole by RunLoad) recorded and this sink has not loaded yet, resuming from what the
  // manifest's LoadState says, then checks each collection's row count.
  // REQUIRES: the caller holds the OutputLock of `storage`; `store` has been Load()ed.
  virtual Result<LoadSummary> LoadParts(Storage& storage, ManifestStore& store);

  // kParts, for `start`: loading while the dump goes on, before LoadParts does the rest.
  // BeginParts once the dump's checkpoint `store` (of `storage`) holds its plan:
  // `streamable[c]` says whether the parts the dump checkpoints for collection c (index into
  // Manifest::collections) are final (its tasks resume after their parts, never redo them).
  // PartsCheckpointed after each part or task the dump checkpointed: returns the loading's
  // first error, which stops the dump. EndParts once the dump ended with `dump_status`: when
  // OK, waits until every checkpointed part is loaded; otherwise for what is in flight only,
  // then treats the dump's error as an import's (a stop or an unreachable source keeps
  // everything for a rerun; bad input drops the collections this load created, so no
  // half-filled collection is left). The default loads nothing early. Called from the
  // dump's threads.
  // REQUIRES: the caller holds the OutputLock of `storage`; `store` and `storage` outlive
  // EndParts.
  virtual Status BeginParts(Storage& storage, ManifestStore& store,
                            std::vector<bool> streamable);
  virtual Status PartsCheckpointed();
  virtual Status EndParts(const Status& dump_status);

  // kBatches, in this order: Prepare each collection of the checkpoint `store` (at index
  // `collection` of Manifest::collections) before its first task; OpenTask per task; Finish
  // once every task of the collection is flushed (flush, count check, index, load; marks
  // its LoadState verified).
  virtual Status Prepare(ManifestStore& store, size_t collection);
  virtual Result<std::unique_ptr<TaskWriter>> OpenTask(ManifestStore& store, size_t collection,
                                                       const SourceTask& task);
  virtual Status Finish(ManifestStore& store, size_t collection);
};

}  // namespace mm
