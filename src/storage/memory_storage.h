// A Storage held in memory, for unit tests of code that writes through Storage (part
// writers, manifests). Thread-safe. Real storage is tested against real disks and buckets.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/storage.h"

namespace mm {

class MemoryStorage : public Storage {
 public:
  MemoryStorage() = default;

  Result<std::unique_ptr<RandomAccessFile>> OpenRead(std::string_view path) override;
  Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) override;
  Result<std::vector<FileInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view path) override;
  Status DeletePrefix(std::string_view prefix) override;
  Result<bool> Exists(std::string_view path) override;
  // Versions are a counter of writes.
  Result<std::optional<VersionedFile>> ReadVersioned(std::string_view path) override;
  Result<std::optional<std::string>> WriteIfVersion(
      std::string_view path, std::string_view content,
      const std::optional<std::string>& expected) override;
  Result<bool> DeleteIfVersion(std::string_view path, const std::string& expected) override;
  // Nothing is ever left half-written in memory: 0.
  Result<int> RemoveAbandonedWrites(std::string_view) override { return 0; }
  std::string ImportPath(std::string_view path) const override { return std::string(path); }
  std::string Describe() const override { return "memory://"; }

  // The committed content of `path`, or "" when absent.
  std::string Content(const std::string& path) const;
  void Put(const std::string& path, std::string content);

 private:
  friend class MemoryWritableFile;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> files_;
  std::map<std::string, std::string> versions_;  // of files written by WriteIfVersion
  uint64_t next_version_ = 1;
};

}  // namespace mm
