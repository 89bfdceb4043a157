// Writes one Milvus bulk-import part in row-based JSON form: a folder holding a single
// rows.json, {"rows":[{...},{...}]}, one object per row keyed by field name. That root
// object is what Milvus 2.2-2.3.2 require and every later version still accepts; one
// request carries exactly this one file. The JSON form covers the types NumPy cannot
// (VarChar of unknown width, JSON, Array), so it is the format for such schemas.
//
// Values, per field type (column layouts as in core/batch.h):
//   Bool -> true/false; Int8..Int64 -> decimal integers, exact (never through double);
//   Float/Double and FloatVector components -> the shortest text that reads back to the
//   same bits (std::to_chars; negative zero as -0.0), for a float also when read through
//   a double; NaN and infinities have no JSON form and are refused;
//   VarChar -> a JSON string (must be valid UTF-8 and within max_length bytes);
//   JSON -> the column holds JSON text, checked to parse and written as a JSON string
//     holding that text: Milvus keeps a string byte for byte (as Insert does), while an
//     embedded object it would re-encode (keys sorted); a non-object value it takes only
//     as a string;
//   Array -> the column holds the value as JSON array text (the layout proto_convert.h
//     documents for Insert), embedded as is after checking it is an array;
//   BinaryVector -> a list of dim/8 numbers 0..255.
// An auto-ID primary key gets no key. Float16/BFloat16/sparse vectors are Unimplemented.
//
// The file is streamed: rows are encoded into a chunk that goes to the WritableFile once it
// holds kChunkBytes, so memory stays at about one chunk whatever the part's size.
// See formats/part_writer.h for the Add/Finish/Abandon contract. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/batch.h"
#include "core/status.h"
#include "formats/part_writer.h"
#include "storage/storage.h"

namespace mm {

class JsonRowsPartWriter final : public PartWriter {
 public:
  static constexpr const char* kFileName = "rows.json";
  static constexpr size_t kChunkBytes = 1 << 20;

  // `storage` must outlive the writer. Unimplemented for a schema with a field type that
  // has no JSON-rows form.
  static Result<std::unique_ptr<JsonRowsPartWriter>> Open(Storage* storage, std::string dir,
                                                          SchemaPtr schema,
                                                          std::string partition);
  ~JsonRowsPartWriter() override;

  // InvalidArgument naming the field and the row (its index in the part, and the primary
  // key when there is one) for a value JSON or Milvus cannot take.
  Status Add(const Batch& batch, int64_t offset, int64_t count) override;
  int64_t rows() const override { return rows_; }
  uint64_t bytes() const override { return flushed_ + chunk_.size(); }

  // Writes the closing "]}" and commits rows.json. REQUIRES: no earlier Finish/Abandon.
  Result<PartInfo> Finish() override;
  void Abandon() override;

 private:
  JsonRowsPartWriter(Storage* storage, std::string dir, SchemaPtr schema, std::string partition)
      : storage_(storage), dir_(std::move(dir)), schema_(std::move(schema)),
        partition_(std::move(partition)) {}

  // Appends row `i` of `batch` as one JSON object to chunk_.
  Status EncodeRow(const Batch& batch, int64_t i);
  Status FlushChunk();
  std::string FilePath() const { return dir_ + "/" + kFileName; }

  Storage* storage_;
  std::string dir_;
  SchemaPtr schema_;
  std::string partition_;
  std::unique_ptr<WritableFile> file_;
  std::string chunk_;    // encoded, not yet appended to file_
  uint64_t flushed_ = 0;  // bytes appended to file_
  int64_t rows_ = 0;
  Status error_;          // the first failure; the part is unusable after it
  bool done_ = false;
};

// JSON-encoding helpers, exposed for tests and for other JSON writers.
// Appends `s` as a quoted JSON string; InvalidArgument (naming nothing: callers add the
// field) when `s` is not valid UTF-8.
Status AppendJsonString(std::string_view s, std::string* out);
// Shortest round-trip text; InvalidArgument for NaN and infinities.
Status AppendJsonNumber(float v, std::string* out);
Status AppendJsonNumber(double v, std::string* out);

}  // namespace mm
