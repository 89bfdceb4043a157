#include "storage/local_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include "storage/committing_file.h"
#include "storage/relative_path.h"

namespace mm {
namespace {

namespace fs = std::filesystem;

// Big enough that the dump's many small appends (one row's fields at a time) turn into
// few write(2) calls; appends at least this large bypass the buffer.
constexpr size_t kWriteBufferSize = 1 << 20;

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status ErrnoStatus(int err, std::string_view what, const std::string& path) {
  std::string msg = StrCat(what, " '", path, "': ", ErrnoText(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    case ENAMETOOLONG:
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    case EISDIR:
    case ENOTDIR:
    case EEXIST:
    case ENOTEMPTY:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Status ErrorCodeStatus(const std::error_code& ec, std::string_view what, const std::string& path) {
  if (ec.category() == std::generic_category() || ec.category() == std::system_category()) {
    return ErrnoStatus(ec.value(), what, path);
  }
  return absl::InternalError(StrCat(what, " '", path, "': ", ec.message()));
}

// Temporary files are hidden siblings: ".<name>.tmp-<6 chars>".
constexpr std::string_view kTmpMarker = ".tmp-";

bool IsTempName(std::string_view name) {
  if (name.size() < 1 + kTmpMarker.size() + 6 || name[0] != '.') return false;
  return name.substr(name.size() - 6 - kTmpMarker.size(), kTmpMarker.size()) == kTmpMarker;
}

std::string RandomSuffix() {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   static_cast<uint64_t>(
                                       std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string out(6, 'x');
  for (char& c : out) c = kChars[rng() % (sizeof(kChars) - 1)];
  return out;
}

Status WriteFully(int fd, struct iovec* iov, int iovcnt, const std::string& path) {
  while (iovcnt > 0) {
    ssize_t written = ::writev(fd, iov, iovcnt);
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write", path);
    }
    auto left = static_cast<size_t>(written);
    while (iovcnt > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --iovcnt;
    }
    if (iovcnt > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return absl::OkStatus();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) return ErrnoStatus(err, "cannot fsync directory", dir);
  return absl::OkStatus();
}

class LocalRandomAccessFile : public RandomAccessFile {
 public:
  LocalRandomAccessFile(int fd, uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  ~LocalRandomAccessFile() override { ::close(fd_); }

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, StrCat("cannot read ", n, " bytes at offset ", offset, " of"),
                           name_);
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }
  uint64_t Size() const override { return size_; }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

class LocalWritableFile : public CommittingFile {
 public:
  // Creates the parent directories and the temporary file.
  static Result<std::unique_ptr<LocalWritableFile>> Create(const std::string& final_path) {
    fs::path final_fs(final_path);
    std::string dir = final_fs.parent_path().string();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ErrorCodeStatus(ec, "cannot create directory", dir);
    std::string base = final_fs.filename().string();
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::string tmp =
          StrCat(dir, "/.", base, kTmpMarker, RandomSuffix());
      // O_EXCL with 0666 (minus umask), unlike mkstemp's 0600: the finished file must be
      // readable by Milvus, often another user.
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        return std::unique_ptr<LocalWritableFile>(new LocalWritableFile(fd, tmp, final_path));
      }
      if (errno != EEXIST) return ErrnoStatus(errno, "cannot create temporary file", tmp);
    }
    return absl::InternalError(
        StrCat("cannot create a temporary file next to '", final_path, "' after 100 tries"));
  }

  ~LocalWritableFile() override { AbortIfOpen(); }

  uint64_t Size() const override { return size_; }

 private:
  LocalWritableFile(int fd, std::string tmp_path, std::string final_path)
      : CommittingFile(std::move(final_path)),
        fd_(fd),
        tmp_path_(std::move(tmp_path)),
        buffer_(new char[kWriteBufferSize]) {}

  Status DoAppend(std::string_view data) override {
    if (buffered_ + data.size() <= kWriteBufferSize) {
      std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
      buffered_ += data.size();
    } else if (data.size() >= kWriteBufferSize) {
      // Buffer and data in one writev: big appends cost one syscall and no copy.
      struct iovec iov[2] = {{buffer_.get(), buffered_},
                             {const_cast<char*>(data.data()), data.size()}};
      RETURN_IF_ERROR(WriteFully(fd_, iov, 2, tmp_path_));
      flushed_ += buffered_ + data.size();
      buffered_ = 0;
    } else {
      RETURN_IF_ERROR(Flush());
      std::memcpy(buffer_.get(), data.data(), data.size());
      buffered_ = data.size();
    }
    size_ += data.size();
    return absl::OkStatus();
  }

  Status DoRewritePrefix(std::string_view data) override {
    size_t on_disk = static_cast<size_t>(std::min<uint64_t>(data.size(), flushed_));
    size_t done = 0;
    while (done < on_disk) {
      ssize_t n = ::pwrite(fd_, data.data() + done, on_disk - done, static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "cannot rewrite the start of", tmp_path_);
      }
      done += static_cast<size_t>(n);
    }
    if (on_disk < data.size()) {
      std::memcpy(buffer_.get() + (on_disk - flushed_), data.data() + on_disk,
                  data.size() - on_disk);
    }
    return absl::OkStatus();
  }

  Status Flush() {
    if (buffered_ == 0) return absl::OkStatus();
    struct iovec iov = {buffer_.get(), buffered_};
    RETURN_IF_ERROR(WriteFully(fd_, &iov, 1, tmp_path_));
    flushed_ += buffered_;
    buffered_ = 0;
    return absl::OkStatus();
  }

  Status Commit() override {
    RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "cannot fsync", tmp_path_);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(errno, "cannot close", tmp_path_);
    if (::rename(tmp_path_.c_str(), name().c_str()) != 0) {
      return ErrnoStatus(errno, StrCat("cannot rename '", tmp_path_, "' to"), name());
    }
    // The rename is durable only once the directory is.
    return FsyncDir(fs::path(name()).parent_path().string());
  }

  Status Discard() override {
    ::close(fd_);
    fd_ = -1;
    if (::unlink(tmp_path_.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "cannot remove temporary file", tmp_path_);
    }
    return absl::OkStatus();
  }

  int fd_;
  std::string tmp_path_;  // renamed to name() at Commit
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;   // bytes in buffer_, which follow the flushed_ bytes on disk
  uint64_t flushed_ = 0;  // bytes written to the file
  uint64_t size_ = 0;     // flushed_ + buffered_
};

// 64-bit FNV-1a of the content, in hex: the version of a small file. The content of the
// files compared this way (the output lock) carries a random owner token, so two
// different contents with one digest are not a practical concern.
std::string ContentVersion(std::string_view content) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return std::string(out, 16);
}

// An exclusive flock(2) on a directory, held for a compare-and-swap; released on
// destruction (and by the kernel if the process dies).
class DirectoryLock {
 public:
  static Result<std::unique_ptr<DirectoryLock>> Lock(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "cannot open directory", dir);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "cannot lock (flock) directory", dir);
    }
    return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the flock

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

std::string JoinRoot(const std::string& root, std::string_view rel) {
  if (rel.empty()) return root;
  return root == "/" ? StrCat("/", rel) : StrCat(root, "/", rel);
}

}  // namespace

Result<std::unique_ptr<LocalStorage>> LocalStorage::Open(const std::string& root_dir) {
  if (root_dir.empty()) return absl::InvalidArgumentError("local storage root directory is empty");
  std::error_code ec;
  fs::path root = fs::absolute(root_dir, ec);
  if (ec) return ErrorCodeStatus(ec, "cannot resolve directory", root_dir);
  root = root.lexically_normal();
  std::string root_str = root.string();
  while (root_str.size() > 1 && root_str.back() == '/') root_str.pop_back();
  fs::create_directories(root_str, ec);
  if (ec) return ErrorCodeStatus(ec, "cannot create storage directory", root_str);
  if (!fs::is_directory(root_str, ec)) {
    return absl::FailedPreconditionError(
        StrCat("storage root '", root_str, "' exists but is not a directory"));
  }
  return std::unique_ptr<LocalStorage>(new LocalStorage(std::move(root_str)));
}

Result<std::string> LocalStorage::Resolve(std::string_view path, bool allow_root) const {
  ASSIGN_OR_RETURN(std::string rel, NormalizeRelativePath(path, root_));
  if (rel.empty() && !allow_root) {
    return absl::InvalidArgumentError(StrCat("empty file path under storage root ", root_));
  }
  return JoinRoot(root_, rel);
}

Result<std::unique_ptr<RandomAccessFile>> LocalStorage::OpenRead(std::string_view path) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  return OpenLocalFile(full);
}

Result<std::unique_ptr<WritableFile>> LocalStorage::OpenWrite(std::string_view path) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  ASSIGN_OR_RETURN(std::unique_ptr<LocalWritableFile> file, LocalWritableFile::Create(full));
  return std::unique_ptr<WritableFile>(std::move(file));
}

Result<std::vector<FileInfo>> LocalStorage::List(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string dir, Resolve(prefix, /*allow_root=*/true));
  std::vector<FileInfo> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
  const size_t root_len = root_ == "/" ? 1 : root_.size() + 1;
  for (; it != end; it.increment(ec)) {
    if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;
    std::string full = it->path().string();
    if (IsTempName(it->path().filename().string())) continue;
    uint64_t size = it->file_size(entry_ec);
    if (entry_ec) {
      // Deleted while listing: it is simply not there any more.
      if (entry_ec == std::errc::no_such_file_or_directory) continue;
      return ErrorCodeStatus(entry_ec, "cannot stat", full);
    }
    out.push_back(FileInfo{full.substr(root_len), size});
  }
  if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

Status LocalStorage::Delete(std::string_view path) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  if (::unlink(full.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "cannot delete", full);
  }
  return absl::OkStatus();
}

Status LocalStorage::DeletePrefix(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string dir, Resolve(prefix, /*allow_root=*/true));
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::OkStatus();
  if (dir != root_) {
    fs::remove_all(dir, ec);
    if (ec) return ErrorCodeStatus(ec, "cannot delete directory", dir);
    return absl::OkStatus();
  }
  // The root itself stays: only what is inside goes.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code rm_ec;
    fs::remove_all(it->path(), rm_ec);
    if (rm_ec) return ErrorCodeStatus(rm_ec, "cannot delete", it->path().string());
  }
  if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
  return absl::OkStatus();
}

Result<bool> LocalStorage::Exists(std::string_view path) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  struct stat st;
  if (::stat(full.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoStatus(errno, "cannot stat", full);
  }
  return S_ISREG(st.st_mode);
}

Result<std::optional<VersionedFile>> LocalStorage::ReadVersionedAt(const std::string& full) {
  auto file = OpenLocalFile(full);
  if (absl::IsNotFound(file.status())) return std::optional<VersionedFile>();
  RETURN_IF_ERROR(file.status());
  ASSIGN_OR_RETURN(std::string content, ReadWholeFile(**file));
  std::string version = ContentVersion(content);
  return std::optional<VersionedFile>(VersionedFile{std::move(content), std::move(version)});
}

Result<std::optional<VersionedFile>> LocalStorage::ReadVersioned(std::string_view path) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  return ReadVersionedAt(full);
}

Result<std::optional<std::string>> LocalStorage::WriteIfVersion(
    std::string_view path, std::string_view content, const std::optional<std::string>& expected) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  ASSIGN_OR_RETURN(auto held, DirectoryLock::Lock(root_));
  ASSIGN_OR_RETURN(std::optional<VersionedFile> current, ReadVersionedAt(full));
  if (current.has_value() != expected.has_value() ||
      (current && current->version != *expected)) {
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, OpenWrite(path));
  RETURN_IF_ERROR(file->Append(content));
  RETURN_IF_ERROR(file->Close());
  return std::optional<std::string>(ContentVersion(content));
}

Result<bool> LocalStorage::DeleteIfVersion(std::string_view path, const std::string& expected) {
  ASSIGN_OR_RETURN(std::string full, Resolve(path, /*allow_root=*/false));
  ASSIGN_OR_RETURN(auto held, DirectoryLock::Lock(root_));
  ASSIGN_OR_RETURN(std::optional<VersionedFile> current, ReadVersionedAt(full));
  if (!current || current->version != expected) return false;
  RETURN_IF_ERROR(Delete(path));
  return true;
}

Result<int> LocalStorage::RemoveAbandonedWrites(std::string_view prefix) {
  ASSIGN_OR_RETURN(std::string dir, Resolve(prefix, /*allow_root=*/true));
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::vector<std::string> doomed;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
  for (; it != end; it.increment(ec)) {
    if (ec) return ErrorCodeStatus(ec, "cannot list directory", dir);
    std::error_code entry_ec;
    if (it->is_regular_file(entry_ec) && IsTempName(it->path().filename().string())) {
      doomed.push_back(it->path().string());
    }
  }
  for (const auto& path : doomed) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "cannot delete the abandoned temporary file", path);
    }
  }
  return static_cast<int>(doomed.size());
}

std::string LocalStorage::ImportPath(std::string_view path) const {
  Result<std::string> full = Resolve(path, /*allow_root=*/true);
  return full.ok() ? *full : JoinRoot(root_, path);
}

std::string LocalStorage::Describe() const { return root_; }

Result<std::unique_ptr<RandomAccessFile>> OpenLocalFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(StrCat("'", path, "' is not a regular file"));
  }
  return std::unique_ptr<RandomAccessFile>(
      new LocalRandomAccessFile(fd, static_cast<uint64_t>(st.st_size), path));
}

}  // namespace mm
