// A source system, seen by the pipeline: it describes the collections it holds, splits its
// data into independent tasks, and opens each task as a stream of batches.
// Adding a source means adding a folder under src/sources/ (its config, parser, opener and
// Source) and one line in the table of src/sources/registry.cc; nothing else changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"

namespace mm {

// One independent piece of work: a FAISS row range, a 1.x segment, an ES slice.
struct SourceTask {
  std::string id;           // stable across runs: names the output parts and checkpoints
  std::string collection;   // target collection
  std::string partition;    // target partition; empty for the default
  int64_t rows = -1;        // rows the task yields, -1 when unknown up front
  int64_t bytes = -1;       // payload bytes, for progress; -1 when unknown
};

// What one target collection looks like and which tasks fill it.
struct CollectionPlan {
  SchemaPtr schema;
  std::string metric_type;  // for the vector field's index: L2, IP, HAMMING, JACCARD, ...
  int32_t shards_num = 0;   // 0: let Milvus choose
  std::vector<std::string> partitions;  // non-default partitions to create
  std::vector<SourceTask> tasks;
  int64_t total_rows = -1;  // rows the source holds for this collection, -1 if unknown
  // False when a task read again after a restart may not yield the same rows (ES slices
  // over a new point in time): an interrupted dump then redoes every task.
  bool tasks_resumable = true;
  std::string consistency_level;  // for CreateCollection; "" = the pipeline's default
  // Where the collection's name came from, for messages: a config key
  // ("[target.create.collection.name]") or the source's own name ("index 'logs'").
  std::string name_origin;
  // Set when the rows are not the vectors originally stored but a reconstruction (a FAISS
  // PQ/SQ index), e.g. "IndexIVFPQ stores quantized codes"; verify quotes it.
  std::string lossy_note;
  // Indexes to build as they are (a Milvus 2.x source's own); when empty, the config's
  // target.create.index builds one on each vector field.
  std::vector<IndexSpec> indexes;
};

// Streams a task's rows. Like Arrow's RecordBatchReader: schema() is known before the
// first batch; Next() returns a batch, std::nullopt at the end, or an error. A zero-row
// batch is not the end. Not thread-safe; different readers may run on different threads.
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  virtual const SchemaPtr& schema() const = 0;
  virtual Result<std::optional<Batch>> Next() = 0;
  // Where a reader of the same task, opened with Source::OpenTaskAt, would continue right
  // after row `row` of the batch Next() returned last; "" (the default) when this reader
  // cannot resume part-way. Lets a dump checkpoint a long task at every finished part.
  virtual std::string PositionAfter(int64_t /*row*/) const { return ""; }
};

class Source {
 public:
  virtual ~Source() = default;
  // Reads the source's metadata; cheap relative to the data. Warnings (lossy decoding,
  // skipped segments) are logged here.
  virtual Result<std::vector<CollectionPlan>> Plan() = 0;
  // Opens a task from a plan returned by Plan(). Thread-safe: tasks open concurrently.
  virtual Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) = 0;
  // Opens `task` to continue after `position`, a PositionAfter of an earlier reader of the
  // same task (perhaps in an earlier run). Only called for sources whose readers give
  // positions.
  virtual Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                          const std::string& position) {
    return absl::UnimplementedError(
        StrCat("task ", task.id, " cannot resume at position ", position));
  }
};

}  // namespace mm
