#include "sources/faiss/faiss_id_map.h"

#include <algorithm>
#include <numeric>

namespace mm::faiss_format {
namespace {
// Scattered lookups merge ids whose entries lie this close into one read, up to a cap.
constexpr int64_t kMergeGap = 512;           // ids (4 KiB)
constexpr int64_t kMaxReadSpan = 128 * 1024;  // ids (1 MiB)
}  // namespace

FaissIdMap::FaissIdMap(const RandomAccessFile& file, IdMapRef ref, uint64_t max_cached_bytes)
    : file_(file), ref_(ref), max_cached_bytes_(max_cached_bytes) {}

Status FaissIdMap::CheckRange(std::span<const int64_t> ids) const {
  for (int64_t id : ids) {
    if (id < 0 || id >= ref_.count) {
      return absl::DataLossError(StrCat("faiss file '", file_.name(), "': internal id ", id,
                                        " is outside the IndexIDMap id array of ", ref_.count,
                                        " ids at offset ", ref_.offset));
    }
  }
  return absl::OkStatus();
}

Status FaissIdMap::ReadRange(int64_t first, int64_t n, int64_t* out) const {
  const uint64_t offset = ref_.offset + static_cast<uint64_t>(first) * sizeof(int64_t);
  const size_t bytes = static_cast<size_t>(n) * sizeof(int64_t);
  ASSIGN_OR_RETURN(size_t got, file_.ReadAt(offset, bytes, reinterpret_cast<char*>(out)));
  if (got != bytes) {
    return absl::DataLossError(StrCat("faiss file '", file_.name(), "': id map read at offset ",
                                      offset, " returned ", got, " of ", bytes, " bytes"));
  }
  return absl::OkStatus();
}

Status FaissIdMap::Map(std::span<int64_t> ids) const {
  if (ids.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckRange(ids));
  bool consecutive = true;
  for (size_t i = 1; i < ids.size() && consecutive; ++i) consecutive = ids[i] == ids[i - 1] + 1;
  if (consecutive) return ReadRange(ids[0], static_cast<int64_t>(ids.size()), ids.data());
  return MapScattered(ids);
}

Status FaissIdMap::MapScattered(std::span<int64_t> ids) const {
  const uint64_t array_bytes = static_cast<uint64_t>(ref_.count) * sizeof(int64_t);
  if (array_bytes <= max_cached_bytes_) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cache_loaded_) {
      cache_.resize(static_cast<size_t>(ref_.count));
      cache_status_ = ReadRange(0, ref_.count, cache_.data());
      if (!cache_status_.ok()) cache_.clear();
      cache_loaded_ = true;
    }
    RETURN_IF_ERROR(cache_status_);
    for (int64_t& id : ids) id = cache_[static_cast<size_t>(id)];
    return absl::OkStatus();
  }
  // Visit the ids in array order, reading runs of nearby entries with one call each.
  std::vector<uint32_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return ids[a] < ids[b]; });
  std::vector<int64_t> mapped(ids.size());
  std::vector<int64_t> window;
  size_t i = 0;
  while (i < order.size()) {
    const int64_t first = ids[order[i]];
    size_t j = i + 1;
    while (j < order.size() && ids[order[j]] - ids[order[j - 1]] <= kMergeGap &&
           ids[order[j]] - first < kMaxReadSpan) {
      ++j;
    }
    const int64_t span = ids[order[j - 1]] - first + 1;
    window.resize(static_cast<size_t>(span));
    RETURN_IF_ERROR(ReadRange(first, span, window.data()));
    for (size_t k = i; k < j; ++k) {
      mapped[order[k]] = window[static_cast<size_t>(ids[order[k]] - first)];
    }
    i = j;
  }
  std::copy(mapped.begin(), mapped.end(), ids.begin());
  return absl::OkStatus();
}

}  // namespace mm::faiss_format
