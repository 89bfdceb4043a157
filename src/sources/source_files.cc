#include "sources/source_files.h"

#include "storage/local_storage.h"
#include "storage/storage_from_config.h"

namespace mm {

std::string SourceModeOf(const ConfigReader& r) {
  std::string mode = "local";
  if (!r.Get("source.mode", &mode).ok()) return "local";
  return mode;
}

Status ReadSourceLocation(const ConfigReader& r, SourceLocation* out) {
  RETURN_IF_ERROR(r.Get("source.mode", &out->mode));
  RETURN_IF_ERROR(ReadRemoteConfig(r, "source.remote", &out->remote));
  if (out->mode != "local" && out->mode != "remote") {
    return r.Invalid("source.mode", StrCat("expected local or remote, got '", out->mode, "'"));
  }
  return absl::OkStatus();
}

Status CheckSourceLocation(const ConfigReader& r, const SourceLocation& location) {
  if (location.mode != "remote") return absl::OkStatus();
  return CheckRemoteConfig(r, "source.remote", location.remote);
}

Result<std::unique_ptr<Storage>> OpenSourceBucket(const MigrationConfig& shared,
                                                  const SourceLocation& location,
                                                  std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(prefix.begin());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return OpenRemoteStorage(shared, location.remote, "source.remote", prefix);
}

Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& shared,
                                                         const SourceLocation& location,
                                                         const std::string& path) {
  if (location.mode == "local") {
    ASSIGN_OR_RETURN(auto file, OpenLocalFile(path));
    return std::shared_ptr<RandomAccessFile>(std::move(file));
  }
  ASSIGN_OR_RETURN(auto bucket, OpenSourceBucket(shared, location, ""));
  ASSIGN_OR_RETURN(auto file, bucket->OpenRead(path));
  // The file reads through the bucket's client: keep both alive together.
  std::shared_ptr<Storage> owner(std::move(bucket));
  RandomAccessFile* raw = file.release();
  return std::shared_ptr<RandomAccessFile>(raw, [owner](RandomAccessFile* f) { delete f; });
}

}  // namespace mm
