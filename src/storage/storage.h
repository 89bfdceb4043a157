// The only door to files: local disk or an S3-compatible bucket, behind one small
// interface. Paths are relative to the storage's root (a directory, or a bucket and prefix)
// and use '/' separators.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mm {

// A file read by offset. ReadAt is thread-safe (a pread, or a ranged GET).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `out`; returns the bytes read, fewer only at the
  // end of the file.
  virtual Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const = 0;
  virtual uint64_t Size() const = 0;
  // The name used in errors: a path or s3://bucket/key.
  virtual const std::string& name() const = 0;
};

// A file written front to back. Nothing is visible under the final name until Close()
// succeeds; Abort() (or destruction without Close) leaves nothing behind.
// Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Rewrites the first `data.size()` bytes already appended, for headers whose content is
  // known only at the end (a .npy shape).
  // REQUIRES: data.size() <= kMaxPrefixRewrite and that many bytes were appended.
  virtual Status RewritePrefix(std::string_view data) = 0;
  virtual Status Close() = 0;
  virtual Status Abort() = 0;
  virtual uint64_t Size() const = 0;
  virtual const std::string& name() const = 0;

  static constexpr size_t kMaxPrefixRewrite = 4096;
};

// The whole of a small file (a manifest, a meta.json) in memory.
inline Result<std::string> ReadWholeFile(const RandomAccessFile& file) {
  std::string text(file.Size(), '\0');
  ASSIGN_OR_RETURN(size_t n, file.ReadAt(0, text.size(), text.data()));
  text.resize(n);
  return text;
}

struct FileInfo {
  std::string path;  // relative to the storage root
  uint64_t size = 0;
};

// A small file read together with its version, for compare-and-swap updates (the output
// lock). The version is opaque: an ETag for a bucket, a content digest on disk.
struct VersionedFile {
  std::string content;
  std::string version;
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenRead(std::string_view path) = 0;
  virtual Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) = 0;
  // Files under `prefix` (recursively), sorted by path. `prefix` names a directory:
  // "a/b" covers "a/b/x" but not "a/bc"; "" is everything. A missing prefix lists nothing.
  virtual Result<std::vector<FileInfo>> List(std::string_view prefix) = 0;
  // NotFound is not an error: deleting what is absent succeeds.
  virtual Status Delete(std::string_view path) = 0;
  virtual Status DeletePrefix(std::string_view prefix) = 0;
  virtual Result<bool> Exists(std::string_view path) = 0;

  // Compare-and-swap on one small file, atomic against every other conditional call on the
  // same path, from any process or host (a conditional PUT/DELETE on a bucket, a lock on the
  // root directory on disk).
  // The content and version of `path`; nullopt when it does not exist.
  virtual Result<std::optional<VersionedFile>> ReadVersioned(std::string_view path) = 0;
  // Writes `content` to `path` only if its version is still `expected` (nullopt: only if
  // `path` does not exist). Returns the new version, or nullopt when the condition failed.
  virtual Result<std::optional<std::string>> WriteIfVersion(
      std::string_view path, std::string_view content,
      const std::optional<std::string>& expected) = 0;
  // Deletes `path` only if its version is `expected`; false when it changed or is gone.
  virtual Result<bool> DeleteIfVersion(std::string_view path, const std::string& expected) = 0;

  // Removes what killed writers left under `prefix` ("" = the whole storage): hidden
  // temporary files on disk, incomplete multipart uploads in a bucket. Returns how many.
  // REQUIRES: no other writer works under `prefix` (the caller holds the output lock).
  virtual Result<int> RemoveAbandonedWrites(std::string_view prefix) = 0;
  // How Milvus must name the file in an import request: an absolute path for local
  // storage, the object key for a bucket.
  virtual std::string ImportPath(std::string_view path) const = 0;
  // For messages: "/abs/dir" or "s3://bucket/prefix".
  virtual std::string Describe() const = 0;
};

}  // namespace mm
