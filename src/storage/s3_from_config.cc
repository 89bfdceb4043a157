#include "storage/s3_from_config.h"

#include <algorithm>

namespace mm {

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

}  // namespace mm
