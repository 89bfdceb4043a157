// S3 options from a bucket section of migration.yaml (source.remote or target.remote) plus
// the shared settings that size and bound its requests.
#pragma once

#include <string>

#include "config/migration_config.h"
#include "storage/s3_storage.h"

namespace mm {

// `section` is "source.remote" or "target.remote", for messages; `prefix` roots the storage.
S3Options S3OptionsFromConfig(const MigrationConfig& config, const RemoteConfig& remote,
                              const std::string& section, std::string prefix);

}  // namespace mm
