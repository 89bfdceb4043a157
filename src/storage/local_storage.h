// Storage on the local file system, rooted at one directory.
//
// Paths are relative to the root, '/'-separated; absolute paths and ".." segments are
// refused (InvalidArgument), so nothing escapes the root. A file being written lives in a
// hidden sibling ".<name>.tmp-XXXXXX" until Close() renames it (atomic on POSIX), so readers
// and List() never see a half-written file. List/DeletePrefix treat the prefix as a
// directory: "a/b" covers "a/b/..." but not "a/bc".
//
// Thread-safety: LocalStorage may be used from many threads; a RandomAccessFile's ReadAt is
// thread-safe (pread); a WritableFile is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace mm {

class LocalStorage : public Storage {
 public:
  // Creates `root_dir` (and its parents) if missing. A relative root is made absolute
  // against the current directory.
  static Result<std::unique_ptr<LocalStorage>> Open(const std::string& root_dir);

  Result<std::unique_ptr<RandomAccessFile>> OpenRead(std::string_view path) override;
  Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) override;
  Result<std::vector<FileInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view path) override;
  Status DeletePrefix(std::string_view prefix) override;
  Result<bool> Exists(std::string_view path) override;
  // Conditional calls hold an flock(2) on the root directory while they compare and write
  // (so they are atomic between processes on one host, and on NFS where flock is honoured);
  // the version is a digest of the content. Writes are temp-then-rename, like OpenWrite.
  Result<std::optional<VersionedFile>> ReadVersioned(std::string_view path) override;
  Result<std::optional<std::string>> WriteIfVersion(
      std::string_view path, std::string_view content,
      const std::optional<std::string>& expected) override;
  Result<bool> DeleteIfVersion(std::string_view path, const std::string& expected) override;
  // Deletes the hidden ".<name>.tmp-XXXXXX" files a killed writer left.
  Result<int> RemoveAbandonedWrites(std::string_view prefix) override;
  // The absolute path of `path` under the root.
  std::string ImportPath(std::string_view path) const override;
  // The absolute root directory.
  std::string Describe() const override;

  const std::string& root() const { return root_; }

 private:
  explicit LocalStorage(std::string root) : root_(std::move(root)) {}

  // The absolute path for a relative one, or InvalidArgument if it would leave the root.
  // An empty `path` is the root itself when `allow_root`.
  Result<std::string> Resolve(std::string_view path, bool allow_root) const;
  // The current version of the file at absolute `full`, nullopt when absent.
  Result<std::optional<VersionedFile>> ReadVersionedAt(const std::string& full);

  std::string root_;  // absolute, lexically normal, no trailing '/'
};

// Opens any local file by absolute (or cwd-relative) path for reading: the sources use it
// for input files outside every Storage root. NotFound when the file is missing.
Result<std::unique_ptr<RandomAccessFile>> OpenLocalFile(const std::string& path);

}  // namespace mm
