// The keys of the Go tool's `meta.milvus` section that shape the collection a migration
// creates, for the source kinds that take that section (Elasticsearch, Milvus 2.x): one
// reading, so the same key means the same thing and gets the same error in both.
#pragma once

#include <cstdint>
#include <string>

#include "config/config_reader.h"
#include "core/status.h"

namespace mm {

// Reads meta.milvus.shardNum (0..kMaxShards, 0 = not set) into `shard_num` and
// meta.milvus.consistencyLevel ("" = not set, or Strong, Session, Bounded, Eventually,
// Customized: Milvus' ConsistencyLevel names, common.proto) into `consistency_level`.
// InvalidArgument naming the key for a value outside those.
Status ReadMetaMilvusLayout(const ConfigReader& r, int32_t* shard_num,
                            std::string* consistency_level);

}  // namespace mm
