// The one factory from a bucket section of migration.yaml (source.remote or target.remote)
// to a Storage: `cloud` picks the implementation (S3-compatible or Azure Blob), the shared
// settings size and bound its requests. Each cloud's options are built here, so the rest of
// the tool never names a cloud.
#pragma once

#include <memory>
#include <string>

#include "config/migration_config.h"
#include "storage/s3_storage.h"
#include "storage/storage.h"

namespace mm {

// The storage `remote` names, rooted at `prefix`. `section` is "source.remote" or
// "target.remote", for messages. InvalidArgument naming [<section>.cloud] for a cloud this
// build does not know; otherwise what the cloud's Open returns (NotFound for a missing
// bucket or container, PermissionDenied for refused credentials, ...).
Result<std::unique_ptr<Storage>> OpenRemoteStorage(const MigrationConfig& config,
                                                   const RemoteConfig& remote,
                                                   const std::string& section,
                                                   std::string prefix);

// `cloud: azure` or its short form `az`: Azure Blob (account = ak, key or SAS = sk, the
// bucket is the container).
bool IsAzureCloud(const std::string& cloud);

// S3 options for an S3-compatible cloud (aws, minio, s3).
S3Options S3OptionsFromConfig(const MigrationConfig& config, const RemoteConfig& remote,
                              const std::string& section, std::string prefix);

}  // namespace mm
