// Where a file-based source's bytes are (a FAISS file, the 1.x tables and meta.json):
// on local disk, or in source.remote's bucket when source.mode is remote.
#pragma once

#include <memory>
#include <string>

#include "config/migration_config.h"
#include "core/status.h"
#include "storage/s3_storage.h"
#include "storage/storage.h"

namespace mm {

// The bucket the source lives in (source.remote), rooted at `prefix` (slashes trimmed).
Result<std::unique_ptr<S3Storage>> OpenSourceBucket(const MigrationConfig& config,
                                                    std::string prefix);
// `path` on local disk (source.mode local) or a key in source.remote's bucket.
Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& config,
                                                         const std::string& path);

}  // namespace mm
