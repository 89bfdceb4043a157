#include "sources/source_files.h"

#include "storage/local_storage.h"
#include "storage/s3_from_config.h"

namespace mm {

Result<std::unique_ptr<S3Storage>> OpenSourceBucket(const MigrationConfig& config,
                                                    std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(prefix.begin());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return S3Storage::Open(
      S3OptionsFromConfig(config, config.source_remote, "source.remote", prefix));
}

Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& config,
                                                         const std::string& path) {
  if (config.source_mode == "local") {
    ASSIGN_OR_RETURN(auto file, OpenLocalFile(path));
    return std::shared_ptr<RandomAccessFile>(std::move(file));
  }
  ASSIGN_OR_RETURN(auto bucket, OpenSourceBucket(config, ""));
  ASSIGN_OR_RETURN(auto file, bucket->OpenRead(path));
  // The file reads through the bucket's client: keep both alive together.
  std::shared_ptr<Storage> owner(std::move(bucket));
  RandomAccessFile* raw = file.release();
  return std::shared_ptr<RandomAccessFile>(raw, [owner](RandomAccessFile* f) { delete f; });
}

}  // namespace mm
