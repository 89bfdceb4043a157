// Streams one Milvus 1.x segment (tables/<table_id>/<segment_id>/) as batches of (id, vector)
// rows, leaving out the rows whose offsets deleted_docs lists. The .uid and .rv files are read
// front to back in buffer-sized ranges, so memory stays at about one batch plus the deleted
// offsets, whatever the segment's size. Not thread-safe; one reader per task.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

struct SegmentSpec {
  std::string table_id;    // directory under the tables root
  std::string segment_id;  // directory under the table, and the .rv/.uid file stem
  int64_t live_rows = 0;   // the meta's row_count: rows left after deletions
  int64_t dim = 0;         // floats a vector; bits when binary
  bool binary = false;
};

struct SegmentReaderOptions {
  int64_t batch_bytes = 4 << 20;        // about this many payload bytes a batch
  int64_t read_buffer_bytes = 1 << 20;  // dumper.worker.reader.bufferSize
};

// The schema a segment maps to: an Int64 primary key (not auto-generated), then
// FloatVector(dim) or BinaryVector(dim bits).
std::shared_ptr<Schema> MakeSegmentSchema(const std::string& collection, int64_t dim, bool binary,
                                          const std::string& id_field = "id",
                                          const std::string& vector_field = "data");

class SegmentReader : public BatchReader {
 public:
  // `tables` is rooted at tablesDir. `schema` has the Int64 id first and the vector second
  // (FloatVector(dim) or BinaryVector(dim)); batches carry `partition`.
  // Checks before any row is read, each error naming the file:
  //   NotFound: the segment directory or its .rv/.uid is missing;
  //   FailedPrecondition: the directory holds only an index file (no .rv): named;
  //   DataLoss: a file shorter than its header says, .rv and .uid disagreeing on rows, a
  //     .rv size that is not a whole number of dim-sized vectors (dimension mismatch),
  //     deleted offsets out of range, or live rows (uid rows - distinct deleted offsets)
  //     different from spec.live_rows.
  static Result<std::unique_ptr<SegmentReader>> Open(std::shared_ptr<Storage> tables,
                                                     const SegmentSpec& spec, SchemaPtr schema,
                                                     std::string partition,
                                                     const SegmentReaderOptions& options);
  ~SegmentReader() override;

  const SchemaPtr& schema() const override;
  Result<std::optional<Batch>> Next() override;

  int64_t physical_rows() const;  // rows in the files, deleted ones included
  int64_t deleted_rows() const;   // distinct deleted offsets

 private:
  struct State;
  explicit SegmentReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mm
