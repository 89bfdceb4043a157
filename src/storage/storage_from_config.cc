#include "storage/storage_from_config.h"

#include <algorithm>

#include "storage/azure_storage.h"
#include "storage/cloud_endpoint.h"

namespace mm {

bool IsAzureCloud(const std::string& cloud) { return cloud == "azure" || cloud == "az"; }

S3Options S3OptionsFromConfig(const MigrationConfig& config, const RemoteConfig& r,
                              const std::string& section, std::string prefix) {
  const int64_t writer_buffer_kb = config.writer_buffer_kb;
  S3Options o;
  o.retry_budget_ms = config.retry_budget_s * 1000;
  o.credentials_origin = section + ".ak/sk";
  // dumper.worker.writer.bufferSize sizes the upload parts. Each open file holds about three
  // of them, so it bounds the dump's memory; S3 refuses parts under 5 MiB.
  o.part_size = std::max<size_t>(size_t{5} << 20, static_cast<size_t>(writer_buffer_kb) << 10);
  o.endpoint = r.endpoint;
  o.cloud = r.cloud;
  o.addressing = r.addressing;
  o.section = section;
  o.region = r.region.empty() ? "us-east-1" : r.region;
  o.bucket = r.bucket;
  o.access_key = r.ak;
  o.secret_key = r.sk;
  o.use_ssl = r.use_ssl;
  o.use_iam = r.use_iam;
  o.check_bucket = r.check_bucket;
  o.prefix = std::move(prefix);
  return o;
}

Result<std::unique_ptr<Storage>> OpenRemoteStorage(const MigrationConfig& config,
                                                   const RemoteConfig& remote,
                                                   const std::string& section,
                                                   std::string prefix) {
  if (IsS3Cloud(remote.cloud)) {
    ASSIGN_OR_RETURN(auto storage,
                     S3Storage::Open(S3OptionsFromConfig(config, remote, section,
                                                         std::move(prefix))));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  if (IsAzureCloud(remote.cloud)) {
    AzureOptions o;
    o.endpoint = remote.endpoint;
    o.account = remote.ak;
    o.key = remote.sk;
    o.container = remote.bucket;
    o.use_ssl = remote.use_ssl;
    o.use_iam = remote.use_iam;
    o.prefix = std::move(prefix);
    o.check_container = remote.check_bucket;
    // As for S3: dumper.worker.writer.bufferSize sizes the staged blocks (5 MiB at least,
    // Azure's 4000 MiB at most).
    o.block_size = std::clamp<size_t>(static_cast<size_t>(config.writer_buffer_kb) << 10,
                                      size_t{5} << 20, size_t{4000} << 20);
    o.retry_budget_ms = config.retry_budget_s * 1000;
    o.credentials_origin = section + ".ak/sk";
    ASSIGN_OR_RETURN(auto storage, AzureStorage::Open(o));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  return absl::InvalidArgumentError(
      StrCat(config.config_path, ": [", section, ".cloud] '", remote.cloud,
             "' is not a cloud this build knows"));
}

}  // namespace mm
