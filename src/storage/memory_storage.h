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
  std::string ImportPath(std::string_view path) const override { return std::string(path); }
  std::string Describe() const override { return "memory://"; }

  // The committed content of `path`, or "" when absent.
  std::string Content(const std::string& path) const;
  void Put(const std::string& path, std::string content);

 private:
  friend class MemoryWritableFile;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> files_;
};

}  // namespace mm
