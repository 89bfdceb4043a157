// Test-only RandomAccessFile over a local path with pread, for the FAISS source's tests
// until the storage layer's LocalStorage lands. ReadAt is thread-safe (pread has no shared
// file offset). Not for production code: it is a header so the library does not link it.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "core/status.h"
#include "storage/storage.h"

namespace mm::testing {

class PreadFile : public RandomAccessFile {
 public:
  static Result<std::unique_ptr<PreadFile>> Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      std::string msg = StrCat("open '", path, "': ", std::strerror(err));
      return err == ENOENT ? absl::NotFoundError(msg) : absl::UnavailableError(msg);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(StrCat("stat '", path, "': ", std::strerror(err)));
    }
    return std::unique_ptr<PreadFile>(new PreadFile(fd, static_cast<uint64_t>(st.st_size), path));
  }

  ~PreadFile() override { ::close(fd_); }

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(
            StrCat("read '", name_, "' at offset ", offset + done, ": ", std::strerror(errno)));
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  uint64_t Size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  PreadFile(int fd, uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}

  int fd_;
  uint64_t size_;
  std::string name_;
};

}  // namespace mm::testing
