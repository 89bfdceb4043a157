// Decodes the quantized codes of a lossy IVF index (IndexIVFScalarQuantizer, IndexIVFPQ)
// through libfaiss. libfaiss rebuilds the index from a spliced stream that replaces the
// inverted lists with empty ones, so only the quantizers sit in memory; the codes are
// streamed by the caller and decoded in batches. Decode is thread-safe. faiss headers stay
// in the .cc; faiss exceptions are turned into Status there.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "sources/faiss/faiss_layout.h"
#include "storage/storage.h"

namespace mm::faiss_format {

class FaissLossyDecoder {
 public:
  // Reads the index described by `layout.lossy_stream` from `file` (which must outlive this
  // call only). Errors: DataLoss when libfaiss rejects the bytes.
  static Result<std::unique_ptr<FaissLossyDecoder>> Open(const RandomAccessFile& file,
                                                         const FaissLayout& layout);
  ~FaissLossyDecoder();

  // Decodes `n` codes of `code_size` bytes from inverted list `list_no` into n * dim floats.
  Status Decode(int64_t list_no, const uint8_t* codes, int64_t n, float* out) const;

 private:
  struct Impl;
  explicit FaissLossyDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mm::faiss_format
