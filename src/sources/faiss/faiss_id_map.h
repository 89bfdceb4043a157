// The id array of an IndexIDMap: turns the wrapped index's internal ids (its row numbers)
// into the user's ids. The array stays in the file: ranges of consecutive internal ids (flat
// and HNSW storage) are one ReadAt; scattered ids (an IDMap around an IVF index) are served
// from a copy loaded once when the array is small, else by sorted, coalesced ReadAt calls,
// so memory stays bounded for any index size. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/status.h"
#include "sources/faiss/faiss_layout.h"
#include "storage/storage.h"

namespace mm::faiss_format {

class FaissIdMap {
 public:
  // Arrays up to this many bytes are loaded whole on first scattered use.
  static constexpr uint64_t kMaxCachedBytes = 64ull << 20;

  // `file` must outlive the map.
  FaissIdMap(const RandomAccessFile& file, IdMapRef ref, uint64_t max_cached_bytes =
                                                             kMaxCachedBytes);

  // Replaces each id in `ids` by its mapped id. DataLoss when an id is outside the array.
  Status Map(std::span<int64_t> ids) const;

 private:
  Status CheckRange(std::span<const int64_t> ids) const;
  Status ReadRange(int64_t first, int64_t n, int64_t* out) const;
  Status MapScattered(std::span<int64_t> ids) const;

  const RandomAccessFile& file_;
  IdMapRef ref_;
  uint64_t max_cached_bytes_;
  mutable std::mutex mu_;
  mutable bool cache_loaded_ = false;
  mutable Status cache_status_;
  mutable std::vector<int64_t> cache_;
};

}  // namespace mm::faiss_format
