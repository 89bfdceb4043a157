// A bulk-import part writer: the interface the dump writes parts through, whatever their
// file format, and the choice of format for a schema. A part is one folder that Milvus
// imports as one request; PartInfo::files lists exactly the files that request carries.
// Like LevelDB's TableBuilder: Add rows, watch bytes() to cut parts, then Finish (commits)
// or Abandon (leaves nothing). Implementations are not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"
#include "storage/storage.h"

namespace mm {

struct PartInfo {
  std::string dir;                 // storage path of the part's folder
  // Storage paths of the files one import request carries: one .npy per field (schema
  // order) for NumPy parts, the single rows.json for JSON-rows parts.
  std::vector<std::string> files;
  // The exact size in bytes of each of `files`, same order, so a reader of the checkpoint
  // can tell a lost or truncated file. Empty in manifests written before it was recorded.
  std::vector<uint64_t> file_bytes;
  std::string partition;           // "" for the default partition
  int64_t rows = 0;
  uint64_t bytes = 0;              // payload bytes over all files
};

class PartWriter {
 public:
  virtual ~PartWriter() = default;

  // Appends rows [offset, offset + count) of `batch`, whose schema must be this part's.
  // After a failure the part is unusable: Abandon it.
  virtual Status Add(const Batch& batch, int64_t offset, int64_t count) = 0;
  virtual int64_t rows() const = 0;
  // Bytes written so far (an estimate of the finished part's size, for cutting parts).
  virtual uint64_t bytes() const = 0;
  // Completes and commits every file. REQUIRES: no earlier Finish/Abandon.
  virtual Result<PartInfo> Finish() = 0;
  // Discards everything written; safe to call after an error.
  virtual void Abandon() = 0;
};

enum class PartFormat {
  kNumpy,     // one <field>.npy per field
  kJsonRows,  // one rows.json: {"rows":[{...}, ...]}
};

std::string_view PartFormatName(PartFormat format);

// NumPy when every field that gets a file has a NumPy form (it is the faster import and
// the one every Milvus 2.x takes); JSON rows otherwise (VarChar, JSON, Array fields).
PartFormat ChoosePartFormat(const Schema& schema);

// Opens a writer of ChoosePartFormat(*schema) for the part in `dir`. `storage` must
// outlive the writer.
Result<std::unique_ptr<PartWriter>> OpenPartWriter(Storage* storage, std::string dir,
                                                   SchemaPtr schema, std::string partition);

}  // namespace mm
