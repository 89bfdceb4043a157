#include "sources/faiss/faiss_file_cursor.h"

#include <algorithm>
#include <bit>
#include <cstdio>

namespace mm::faiss_format {

static_assert(std::endian::native == std::endian::little,
              "FAISS files are little-endian; this reader copies fields as they are");

namespace {
// Headers are read a few bytes at a time; one read-ahead block keeps that to few ReadAt
// calls without pulling bulk data in.
constexpr size_t kReadAhead = 64 * 1024;
}  // namespace

FaissFileCursor::FaissFileCursor(const RandomAccessFile& file)
    : file_(file), size_(file.Size()) {}

Status FaissFileCursor::Truncated(uint64_t need, std::string_view what) const {
  return absl::DataLossError(StrCat("faiss file '", name(), "': ", what, " at offset ", offset_,
                                    " needs ", need, " bytes but the file ends at byte ", size_,
                                    " (truncated or corrupt)"));
}

Status FaissFileCursor::Corrupt(uint64_t offset, std::string_view message) const {
  return absl::DataLossError(
      StrCat("faiss file '", name(), "': ", message, " (at offset ", offset, ")"));
}

Status FaissFileCursor::Read(void* out, size_t n, std::string_view what) {
  if (n > remaining()) return Truncated(n, what);
  char* dst = static_cast<char*>(out);
  if (offset_ >= buffer_start_ && offset_ + n <= buffer_start_ + buffer_len_) {
    std::memcpy(dst, buffer_.data() + (offset_ - buffer_start_), n);
    offset_ += n;
    return absl::OkStatus();
  }
  if (n >= kReadAhead) {
    ASSIGN_OR_RETURN(size_t got, file_.ReadAt(offset_, n, dst));
    if (got != n) return Truncated(n, what);
    offset_ += n;
    return absl::OkStatus();
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(kReadAhead, remaining()));
  buffer_.resize(kReadAhead);
  ASSIGN_OR_RETURN(size_t got, file_.ReadAt(offset_, want, buffer_.data()));
  buffer_start_ = offset_;
  buffer_len_ = got;
  if (got < n) return Truncated(n, what);
  std::memcpy(dst, buffer_.data(), n);
  offset_ += n;
  return absl::OkStatus();
}

Status FaissFileCursor::Skip(uint64_t n, std::string_view what) {
  if (n > remaining()) return Truncated(n, what);
  offset_ += n;
  return absl::OkStatus();
}

Result<uint64_t> FaissFileCursor::ReadVectorSize(size_t elem_size, std::string_view what) {
  uint64_t at = offset_;
  ASSIGN_OR_RETURN(uint64_t count, ReadValue<uint64_t>(StrCat(what, " size")));
  if (elem_size > 0 && count > remaining() / elem_size) {
    return Corrupt(at, StrCat(what, " claims ", count, " elements of ", elem_size,
                              " bytes but only ", remaining(),
                              " bytes remain in the file (truncated or corrupt)"));
  }
  return count;
}

Result<uint64_t> FaissFileCursor::SkipVector(size_t elem_size, std::string_view what) {
  ASSIGN_OR_RETURN(uint64_t count, ReadVectorSize(elem_size, what));
  RETURN_IF_ERROR(Skip(count * elem_size, what));
  return count;
}

std::string DescribeFourcc(uint32_t fourcc) {
  char text[5];
  bool printable = true;
  for (int i = 0; i < 4; ++i) {
    text[i] = static_cast<char>((fourcc >> (8 * i)) & 0xff);
    if (text[i] < 0x20 || text[i] > 0x7e) printable = false;
  }
  text[4] = '\0';
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", fourcc);
  if (printable) return StrCat("'", text, "' (", hex, ")");
  return hex;
}

}  // namespace mm::faiss_format
