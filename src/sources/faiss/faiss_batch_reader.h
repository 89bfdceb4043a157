// Streams one FAISS task: a range of rows in the layout's order (flat storage rows, or
// inverted lists one after another), as batches of about batch_bytes. Codes and ids are
// read with ReadAt straight from the runs the layout recorded, so a reader holds one batch
// and its scratch buffers, whatever the index size. When a batch spans many small inverted
// lists (which lie back to back in the file) their bytes are fetched with one ReadAt, so a
// batch costs one ranged GET on object storage. Not thread-safe; several readers over the
// same FaissDataset run in parallel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"
#include "sources/faiss/faiss_id_map.h"
#include "sources/faiss/faiss_layout.h"
#include "sources/faiss/faiss_lossy_decoder.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm::faiss_format {

// Everything a parsed file offers its readers. Immutable after construction, shared.
struct FaissDataset {
  std::shared_ptr<RandomAccessFile> file;
  FaissLayout layout;
  std::vector<int64_t> run_starts;  // row number of each run's first row; back() = total rows
  std::vector<std::unique_ptr<FaissIdMap>> id_maps;  // layout.id_maps, innermost first
  std::unique_ptr<FaissLossyDecoder> decoder;        // lossy layouts only
  SchemaPtr schema;
  int64_t rows_per_batch = 1;

  int64_t total_rows() const { return run_starts.empty() ? 0 : run_starts.back(); }
};

class FaissBatchReader : public BatchReader {
 public:
  // REQUIRES: 0 <= begin <= end <= dataset->total_rows().
  FaissBatchReader(std::shared_ptr<const FaissDataset> dataset, int64_t begin, int64_t end);

  const SchemaPtr& schema() const override { return dataset_->schema; }
  Result<std::optional<Batch>> Next() override;

 private:
  // Rows [offset, offset + n) of layout run `run`.
  struct Piece {
    size_t run;
    int64_t offset;
    int64_t n;
  };

  // Reads the file span covering all pieces at once when that saves calls and wastes little.
  Status Prefetch(const std::vector<Piece>& pieces);
  // Copies [offset, offset + n) from the prefetched span, or reads it from the file.
  Status Fetch(uint64_t offset, size_t n, void* out);
  // Appends a piece's rows to the batch's columns.
  Status ReadRows(const Piece& piece, Batch& batch);

  std::shared_ptr<const FaissDataset> dataset_;
  int64_t next_;  // next row to yield
  int64_t end_;
  size_t run_;    // run holding next_
  std::vector<Piece> pieces_;
  std::vector<char> span_;  // prefetched file bytes
  uint64_t span_offset_ = 0;
  std::vector<uint8_t> codes_;
  std::vector<int64_t> ids_;
  std::vector<float> decoded_;
};

}  // namespace mm::faiss_format
