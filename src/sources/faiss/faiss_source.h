// The FAISS source: one index file becomes one collection of (id, vector) rows. Supported:
// IndexFlat (L2, IP), IndexIDMap/IDMap2 around any supported index, IndexIVFFlat,
// IndexHNSWFlat, IndexIVFScalarQuantizer and IndexIVFPQ (vectors reconstructed, lossy),
// IndexBinaryFlat, IndexBinaryIVF, IndexBinaryIDMap/IDMap2, IndexBinaryHNSW. Open() parses
// only the headers (docs/faiss-format.md); tasks are row ranges streamed with ReadAt, so an
// index of hundreds of GB never sits in memory.
// Thread-safe after Open: Plan and OpenTask may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

namespace faiss_format {
struct FaissDataset;
}

struct FaissSourceOptions {
  std::string collection;  // target collection name
  // From the config; 0 = take it from the file. Float components, or bits for binary
  // indexes. A disagreement with the file is InvalidArgument.
  int64_t dim = 0;
  // "L2", "IP", "HAMMING", ...; "" = from the index (binary indexes: HAMMING).
  std::string metric_type;
  int32_t shards_num = 0;
  int64_t rows_per_task = 1 << 20;  // most rows a task covers (tasks are row ranges)
  // Most payload bytes a task covers, so that a mid-size index still splits into enough
  // tasks to keep every dump worker busy; 0 = no byte limit.
  int64_t task_bytes = 128 << 20;
  int64_t batch_bytes = 4 << 20;    // a batch holds about this many bytes
  // Bytes after the end of the index are DataLoss unless this is set (then a warning):
  // source.faiss.allowTrailingBytes.
  bool allow_trailing_bytes = false;
  std::string id_field = "id";      // names used by the Go tool
  std::string vector_field = "data";
};

class FaissSource : public Source {
 public:
  // `file` is shared by all tasks (ReadAt is thread-safe); file->name() is used in errors.
  // Errors: DataLoss for an empty, truncated or corrupt file (or one with bytes after the
  // index, unless options.allow_trailing_bytes); Unimplemented for index types
  // not read (naming the type or the unknown fourcc); InvalidArgument for options that
  // contradict the file or each other.
  static Result<std::unique_ptr<FaissSource>> Open(std::shared_ptr<RandomAccessFile> file,
                                                   FaissSourceOptions options);
  ~FaissSource() override;

  // One collection: schema `id` Int64 primary key + `data` FloatVector(dim) or
  // BinaryVector(dim bits); tasks "rows-<begin>-<end>". Logs a warning for lossy indexes.
  Result<std::vector<CollectionPlan>> Plan() override;
  // Opens a task from Plan(); any "rows-<begin>-<end>" range within the file is accepted.
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;

  // The index type read, e.g. "IndexIDMap2(IndexIVFFlat)".
  const std::string& index_type() const;
  int64_t total_rows() const;

 private:
  FaissSource(FaissSourceOptions options, std::string metric_type,
              std::shared_ptr<const faiss_format::FaissDataset> dataset);

  FaissSourceOptions options_;
  std::string metric_type_;
  std::shared_ptr<const faiss_format::FaissDataset> dataset_;
};

}  // namespace mm
