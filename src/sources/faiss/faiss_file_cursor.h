// Reads the fields of a FAISS index file front to back. Small fields go through a read-ahead
// buffer; bulk data (vectors, graphs, inverted lists) is skipped by moving the offset, so
// parsing a file of hundreds of GB reads only its headers. Every read and skip is checked
// against the file size first: a truncated or corrupt file yields DataLoss naming the file,
// the field and the offset, never an allocation sized by untrusted bytes.
// Not thread-safe. The file must outlive the cursor.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.h"
#include "storage/storage.h"

namespace mm::faiss_format {

class FaissFileCursor {
 public:
  explicit FaissFileCursor(const RandomAccessFile& file);

  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return size_; }
  uint64_t remaining() const { return size_ - offset_; }
  const std::string& name() const { return file_.name(); }

  // Reads `n` bytes at the current offset; `what` names the field in errors.
  Status Read(void* out, size_t n, std::string_view what);

  template <typename T>
  Result<T> ReadValue(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    RETURN_IF_ERROR(Read(&value, sizeof(T), what));
    return value;
  }

  // Moves past `n` bytes, which must exist.
  Status Skip(uint64_t n, std::string_view what);

  // FAISS stores a std::vector as a uint64 element count followed by the elements. Reads
  // the count, checks count * elem_size bytes follow in the file, and leaves the cursor at
  // the first element. Returns the count.
  Result<uint64_t> ReadVectorSize(size_t elem_size, std::string_view what);

  // Like ReadVectorSize, then skips the elements.
  Result<uint64_t> SkipVector(size_t elem_size, std::string_view what);

  // Reads a whole vector; only for small metadata (list sizes), which is checked against the
  // file size before it is allocated.
  template <typename T>
  Result<std::vector<T>> ReadVector(std::string_view what) {
    ASSIGN_OR_RETURN(uint64_t count, ReadVectorSize(sizeof(T), what));
    std::vector<T> values(count);
    if (count > 0) RETURN_IF_ERROR(Read(values.data(), count * sizeof(T), what));
    return values;
  }

  // A DataLoss error naming the file and `offset`.
  Status Corrupt(uint64_t offset, std::string_view message) const;

 private:
  Status Truncated(uint64_t need, std::string_view what) const;

  const RandomAccessFile& file_;
  uint64_t size_;
  uint64_t offset_ = 0;
  std::vector<char> buffer_;
  uint64_t buffer_start_ = 0;  // file offset of buffer_[0]
  size_t buffer_len_ = 0;
};

// "'IxF2'" when the four bytes are printable, else "0x32467849"; for error messages.
std::string DescribeFourcc(uint32_t fourcc);

// The fourcc FAISS writes for a four-character tag (first character in the lowest byte).
constexpr uint32_t Fourcc(std::string_view tag) {
  return static_cast<uint32_t>(static_cast<uint8_t>(tag[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(tag[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(tag[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(tag[3])) << 24;
}

}  // namespace mm::faiss_format
