// Writes one Milvus bulk-import part: a folder holding one <field>.npy per schema field,
// every file with the same row count, which Milvus imports as one request.
// Like LevelDB's TableBuilder: Add rows, watch bytes() to cut parts, then Finish (commits
// every file) or Abandon (leaves nothing). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "storage/storage.h"

namespace mm {

struct PartInfo {
  std::string dir;                 // storage path of the part's folder
  std::vector<std::string> files;  // storage paths, one per field, schema order
  std::string partition;           // "" for the default partition
  int64_t rows = 0;
  uint64_t bytes = 0;              // payload bytes over all files
};

class NumpyPartWriter {
 public:
  // `storage` must outlive the writer. Fails for schemas with a field that has no NumPy
  // form; auto-ID primary keys get no file, as Milvus requires.
  static Result<std::unique_ptr<NumpyPartWriter>> Open(Storage* storage, std::string dir,
                                                       SchemaPtr schema, std::string partition);
  ~NumpyPartWriter();

  // Appends rows [offset, offset + count) of `batch`, whose schema must be this part's.
  Status Add(const Batch& batch, int64_t offset, int64_t count);
  int64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }

  // Writes the final headers and commits every file. REQUIRES: no earlier Finish/Abandon.
  Result<PartInfo> Finish();
  // Discards everything written; safe to call after an error.
  void Abandon();

 private:
  struct FieldFile {
    size_t column;  // index into the batch's columns
    std::unique_ptr<WritableFile> file;
  };
  NumpyPartWriter(Storage* storage, std::string dir, SchemaPtr schema, std::string partition)
      : storage_(storage), dir_(std::move(dir)), schema_(std::move(schema)),
        partition_(std::move(partition)) {}

  Storage* storage_;
  std::string dir_;
  SchemaPtr schema_;
  std::string partition_;
  std::vector<FieldFile> files_;
  int64_t rows_ = 0;
  uint64_t bytes_ = 0;
  bool done_ = false;
};

}  // namespace mm
