#include "storage/memory_storage.h"

#include <algorithm>
#include <cstring>

namespace mm {
namespace {

class MemoryFile : public RandomAccessFile {
 public:
  MemoryFile(std::string name, std::shared_ptr<const std::string> data)
      : name_(std::move(name)), data_(std::move(data)) {}
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (offset >= data_->size()) return size_t{0};
    size_t len = std::min<size_t>(n, data_->size() - offset);
    std::memcpy(out, data_->data() + offset, len);
    return len;
  }
  uint64_t Size() const override { return data_->size(); }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::shared_ptr<const std::string> data_;
};

}  // namespace

class MemoryWritableFile : public WritableFile {
 public:
  MemoryWritableFile(MemoryStorage* owner, std::string name) : owner_(owner), name_(std::move(name)) {}
  Status Append(std::string_view data) override {
    buf_.append(data);
    return absl::OkStatus();
  }
  Status RewritePrefix(std::string_view data) override {
    if (data.size() > buf_.size() || data.size() > kMaxPrefixRewrite) {
      return absl::InternalError(StrCat(name_, ": prefix rewrite past the written bytes"));
    }
    buf_.replace(0, data.size(), data);
    return absl::OkStatus();
  }
  Status Close() override {
    owner_->Put(name_, std::move(buf_));
    return absl::OkStatus();
  }
  Status Abort() override {
    buf_.clear();
    return absl::OkStatus();
  }
  uint64_t Size() const override { return buf_.size(); }
  const std::string& name() const override { return name_; }

 private:
  MemoryStorage* owner_;
  std::string name_;
  std::string buf_;
};

Result<std::unique_ptr<RandomAccessFile>> MemoryStorage::OpenRead(std::string_view path) {
  std::lock_guard lock(mu_);
  auto it = files_.find(std::string(path));
  if (it == files_.end()) return absl::NotFoundError(StrCat("memory://", path, " not found"));
  return std::unique_ptr<RandomAccessFile>(new MemoryFile(std::string(path), it->second));
}

Result<std::unique_ptr<WritableFile>> MemoryStorage::OpenWrite(std::string_view path) {
  return std::unique_ptr<WritableFile>(new MemoryWritableFile(this, std::string(path)));
}

Result<std::vector<FileInfo>> MemoryStorage::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  std::vector<FileInfo> out;
  for (const auto& [path, data] : files_) {
    if (path.compare(0, prefix.size(), prefix) == 0) out.push_back({path, data->size()});
  }
  return out;
}

Status MemoryStorage::Delete(std::string_view path) {
  std::lock_guard lock(mu_);
  files_.erase(std::string(path));
  versions_.erase(std::string(path));
  return absl::OkStatus();
}

Status MemoryStorage::DeletePrefix(std::string_view prefix) {
  std::lock_guard lock(mu_);
  auto under = [&](const auto& kv) { return kv.first.compare(0, prefix.size(), prefix) == 0; };
  std::erase_if(files_, under);
  std::erase_if(versions_, under);
  return absl::OkStatus();
}

Result<bool> MemoryStorage::Exists(std::string_view path) {
  std::lock_guard lock(mu_);
  return files_.count(std::string(path)) > 0;
}

Result<std::optional<VersionedFile>> MemoryStorage::ReadVersioned(std::string_view path) {
  std::lock_guard lock(mu_);
  auto it = files_.find(std::string(path));
  if (it == files_.end()) return std::optional<VersionedFile>();
  auto v = versions_.find(it->first);
  return std::optional<VersionedFile>(VersionedFile{*it->second, v->second});
}

Result<std::optional<std::string>> MemoryStorage::WriteIfVersion(
    std::string_view path, std::string_view content, const std::optional<std::string>& expected) {
  std::lock_guard lock(mu_);
  const std::string key(path);
  auto it = files_.find(key);
  if (it == files_.end() ? expected.has_value() : !expected || versions_[key] != *expected) {
    return std::optional<std::string>();
  }
  files_[key] = std::make_shared<const std::string>(content);
  versions_[key] = std::to_string(next_version_++);
  return std::optional<std::string>(versions_[key]);
}

Result<bool> MemoryStorage::DeleteIfVersion(std::string_view path, const std::string& expected) {
  std::lock_guard lock(mu_);
  const std::string key(path);
  auto v = versions_.find(key);
  if (v == versions_.end() || v->second != expected) return false;
  files_.erase(key);
  versions_.erase(v);
  return true;
}

std::string MemoryStorage::Content(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? "" : *it->second;
}

void MemoryStorage::Put(const std::string& path, std::string content) {
  std::lock_guard lock(mu_);
  files_[path] = std::make_shared<const std::string>(std::move(content));
  versions_[path] = std::to_string(next_version_++);
}

}  // namespace mm
