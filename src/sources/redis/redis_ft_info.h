// Reads a RediSearch index's FT.INFO answer (RESP2: flat key/value arrays) into the source's
// terms: which keys it covers (HASH or JSON, its prefixes), and its fields as Milvus fields.
// TEXT, TAG and GEO become VarChar, NUMERIC Double, VECTOR a vector of its DIM and TYPE;
// other kinds are left out with a note. The distance metric becomes the collection's metric.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sources/redis/redis_config.h"
#include "sources/redis/redis_reply.h"

namespace mm {

struct RedisIndexInfo {
  RedisKeyType key_type = RedisKeyType::kHash;
  std::vector<std::string> prefixes;
  std::vector<RedisFieldConfig> fields;  // without a pk
  std::string metric;                    // L2, IP, COSINE; "" when no vector says
  std::vector<std::string> notes;        // fields left out, and why
};

// `reply` is FT.INFO `index`'s answer. DataLoss when it lacks what every RediSearch version
// sends (index_definition, attributes); InvalidArgument for a vector without its DIM.
Result<RedisIndexInfo> ParseFtInfo(const std::string& index, const RedisReply& reply);

}  // namespace mm
