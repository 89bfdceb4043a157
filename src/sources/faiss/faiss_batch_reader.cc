#include "sources/faiss/faiss_batch_reader.h"

#include <algorithm>
#include <limits>
#include <cstring>
#include <numeric>

namespace mm::faiss_format {
namespace {

Status ReadExactly(const RandomAccessFile& file, uint64_t offset, size_t n, void* out) {
  ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset, n, static_cast<char*>(out)));
  if (got != n) {
    return absl::DataLossError(StrCat("faiss file '", file.name(), "': read of ", n,
                                      " bytes at offset ", offset, " returned ", got,
                                      " (the file shrank since it was opened?)"));
  }
  return absl::OkStatus();
}

}  // namespace

FaissBatchReader::FaissBatchReader(std::shared_ptr<const FaissDataset> dataset, int64_t begin,
                                   int64_t end)
    : dataset_(std::move(dataset)), next_(begin), end_(end), run_(0) {
  const auto& starts = dataset_->run_starts;
  if (next_ < end_) {
    // The last run whose first row is <= begin.
    run_ = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end() - 1, next_) -
                               starts.begin() - 1);
  }
}

Result<std::optional<Batch>> FaissBatchReader::Next() {
  if (next_ >= end_) return std::optional<Batch>();
  const FaissDataset& ds = *dataset_;
  const int64_t rows = std::min(end_ - next_, ds.rows_per_batch);
  pieces_.clear();
  for (int64_t planned = 0; planned < rows;) {
    const RowRun& run = ds.layout.runs[run_];
    const int64_t offset = next_ - ds.run_starts[run_];
    const int64_t n = std::min(rows - planned, run.rows - offset);
    pieces_.push_back(Piece{run_, offset, n});
    planned += n;
    next_ += n;
    if (next_ == ds.run_starts[run_ + 1]) ++run_;
  }
  RETURN_IF_ERROR(Prefetch(pieces_));
  Batch batch(ds.schema);
  batch.column(0).Reserve(rows);
  batch.column(1).Reserve(rows);
  for (const Piece& piece : pieces_) RETURN_IF_ERROR(ReadRows(piece, batch));
  span_.clear();
  return std::optional<Batch>(std::move(batch));
}

Status FaissBatchReader::Prefetch(const std::vector<Piece>& pieces) {
  const FaissDataset& ds = *dataset_;
  const uint64_t code_size = static_cast<uint64_t>(ds.layout.code_size);
  uint64_t lo = std::numeric_limits<uint64_t>::max();
  uint64_t hi = 0;
  uint64_t needed = 0;
  size_t reads = 0;
  auto cover = [&](uint64_t at, uint64_t n) {
    lo = std::min(lo, at);
    hi = std::max(hi, at + n);
    needed += n;
    ++reads;
  };
  for (const Piece& p : pieces) {
    const RowRun& run = ds.layout.runs[p.run];
    const uint64_t offset = static_cast<uint64_t>(p.offset);
    const uint64_t n = static_cast<uint64_t>(p.n);
    cover(run.codes_offset + offset * code_size, n * code_size);
    if (run.ids_offset >= 0) cover(static_cast<uint64_t>(run.ids_offset) + offset * 8, n * 8);
  }
  // Worth it only when it replaces several reads and the span is mostly wanted bytes.
  constexpr uint64_t kSlack = 64 * 1024;
  if (reads < 2 || hi - lo > needed + needed / 8 + kSlack) return absl::OkStatus();
  span_.resize(static_cast<size_t>(hi - lo));
  span_offset_ = lo;
  Status st = ReadExactly(*ds.file, lo, span_.size(), span_.data());
  if (!st.ok()) span_.clear();
  return st;
}

Status FaissBatchReader::Fetch(uint64_t offset, size_t n, void* out) {
  if (!span_.empty() && offset >= span_offset_ && offset + n <= span_offset_ + span_.size()) {
    std::memcpy(out, span_.data() + (offset - span_offset_), n);
    return absl::OkStatus();
  }
  return ReadExactly(*dataset_->file, offset, n, out);
}

Status FaissBatchReader::ReadRows(const Piece& piece, Batch& batch) {
  const FaissDataset& ds = *dataset_;
  const RowRun& run = ds.layout.runs[piece.run];
  const int64_t offset = piece.offset;
  const int64_t n = piece.n;
  const uint64_t code_size = static_cast<uint64_t>(ds.layout.code_size);
  const uint64_t codes_at = run.codes_offset + static_cast<uint64_t>(offset) * code_size;
  const size_t code_bytes = static_cast<size_t>(n) * code_size;

  // Ids: stored with the run, or implicit row numbers; then through any IDMap wrappers.
  ids_.resize(static_cast<size_t>(n));
  if (run.ids_offset >= 0) {
    RETURN_IF_ERROR(Fetch(static_cast<uint64_t>(run.ids_offset) + static_cast<uint64_t>(offset) * 8,
                          static_cast<size_t>(n) * 8, ids_.data()));
  } else {
    std::iota(ids_.begin(), ids_.end(), run.first_id + offset);
  }
  for (const auto& id_map : ds.id_maps) RETURN_IF_ERROR(id_map->Map(ids_));
  batch.column(0).AppendFixed(ids_.data(), n);

  Column& vectors = batch.column(1);
  if (ds.layout.encoding != VectorEncoding::kLossy) {
    return Fetch(codes_at, code_bytes, vectors.ExtendFixed(n));
  }
  codes_.resize(code_bytes);
  RETURN_IF_ERROR(Fetch(codes_at, code_bytes, codes_.data()));
  decoded_.resize(static_cast<size_t>(n * ds.layout.dim));
  RETURN_IF_ERROR(ds.decoder->Decode(run.list_no, codes_.data(), n, decoded_.data()));
  vectors.AppendFixed(decoded_.data(), n);
  return absl::OkStatus();
}

}  // namespace mm::faiss_format
