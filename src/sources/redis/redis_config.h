// The Redis part of migration.yaml (workMode redis): source.redis.* names the server, the
// keys (prefix or match), how they are stored (keyType) and the fields to migrate, or a
// RediSearch index to read them from (FT.INFO). Its parser and opener, for the registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "sources/redis/redis_client.h"
#include "sources/registry.h"
#include "sources/source_config.h"

namespace mm {

enum class RedisKeyType { kHash, kJson, kString };

// How a vector is stored in a HASH field: a little-endian blob of dims components, as
// RediSearch's VECTOR TYPE spells it.
enum class RedisVectorType { kFloat32, kFloat64, kFloat16, kBFloat16 };
// Bytes one component of `t` takes in a blob.
int RedisVectorWidth(RedisVectorType t);

// One source.redis.fields[] entry: a hash field or JSON member and its Milvus field.
struct RedisFieldConfig {
  std::string name;    // the Milvus field; also the hash field / JSON member unless `path`
  std::string path;    // the hash field or JSON member (dots walk into objects); "" = name
  DataType type = DataType::kNone;  // Milvus type (a vector: FloatVector, Float16Vector, ...)
  int64_t dims = 0;                 // vectors
  RedisVectorType vector_type = RedisVectorType::kFloat32;  // blobs: dataType
  bool pk = false;       // this field's value is the primary key (Int64 or VarChar)
  bool from_key = false;  // pk: key -> the key minus the prefix, as VarChar
  int64_t max_len = 0;   // VarChar bytes; 0 = 65535

  const std::string& source_name() const { return path.empty() ? name : path; }
};

struct RedisConfig final : SourceConfig {
  RedisEndpoint endpoint;             // source.redis.url
  std::string prefix;                 // source.redis.prefix: keys starting with it
  std::string match;                  // source.redis.match: a SCAN MATCH glob
  RedisKeyType key_type = RedisKeyType::kHash;  // source.redis.keyType
  std::vector<RedisFieldConfig> fields;          // source.redis.fields
  std::string index;                  // source.redis.index: a RediSearch index for FT.INFO
  std::string collection;             // target.create.collection.name
  std::string metric_type;            // target.create.collection.metricType, else FT.INFO's
  int64_t scan_count = 500;           // source.redis.scanCount: SCAN COUNT, a pipeline's keys
  bool skip_invalid_rows = false;     // dumper.invalidRows
  bool key_type_set = false;          // keyType was written (else FT.INFO may say it)
};

// Parses source.redis.url: redis://[user[:password]@]host[:port][/db] or rediss://...;
// user and password may be percent-encoded. Errors (InvalidArgument) never quote the URL,
// which may hold a password.
Result<RedisEndpoint> ParseRedisUrl(const std::string& url);

// The SCAN MATCH pattern of `prefix` (its glob characters escaped) followed by '*'.
std::string RedisPrefixPattern(const std::string& prefix);

// Checks the fields (one pk, a vector, dims, types) and builds the collection's schema, in
// field order.
Result<SchemaPtr> RedisSchema(const std::vector<RedisFieldConfig>& fields,
                              const std::string& collection);

// Reads and checks source.redis; errors name the key.
Status ReadRedisConfig(const ConfigReader& r, RedisConfig* out);
bool RecogniseRedisConfig(const ConfigReader& r, const MigrationConfig& shared);
Result<std::shared_ptr<const SourceConfig>> ParseRedisSourceConfig(ConfigReader& r,
                                                                   MigrationConfig* shared);
Result<OpenedSource> OpenRedisSource(const SourceConfig& config, const MigrationConfig& shared);

}  // namespace mm
