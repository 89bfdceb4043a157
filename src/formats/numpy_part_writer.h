// Writes one Milvus bulk-import part in NumPy form: a folder holding one <field>.npy per
// schema field, every file with the same row count, which Milvus imports as one request.
// See formats/part_writer.h for the Add/Finish/Abandon contract. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "formats/part_writer.h"
#include "storage/storage.h"

namespace mm {

class NumpyPartWriter final : public PartWriter {
 public:
  // `storage` must outlive the writer. Fails for schemas with a field that has no NumPy
  // form; auto-ID primary keys get no file, as Milvus requires.
  static Result<std::unique_ptr<NumpyPartWriter>> Open(Storage* storage, std::string dir,
                                                       SchemaPtr schema, std::string partition);
  ~NumpyPartWriter() override;

  Status Add(const Batch& batch, int64_t offset, int64_t count) override;
  int64_t rows() const override { return rows_; }
  uint64_t bytes() const override { return bytes_; }

  // Writes the final headers and commits every file. REQUIRES: no earlier Finish/Abandon.
  Result<PartInfo> Finish() override;
  void Abandon() override;

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
