// How an Elasticsearch index maps to a Milvus collection (README, "Elasticsearch"):
//   keyword, text -> VarChar(maxLen, default 65535)   long -> Int64     integer -> Int32
//   short -> Int16   byte -> Int8   double -> Double   float, half_float -> Float
//   boolean -> Bool  date -> Int64 (epoch milliseconds)   dense_vector -> FloatVector(dims),
//   or BinaryVector(dims) when its element_type is bit
//   object, flattened -> JSON     isArray: true -> Array of the element type (maxCapacity,
//   default 4096)
// The primary key is the field with pk: true; without one, `_id` becomes a VarChar(65535)
// primary key named "_id", as in the Go tool. With meta.milvus.dynamicUnlistedFields, a last
// JSON field "$meta" (the dynamic field) holds the _source fields not listed.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "sources/elasticsearch/elasticsearch_config.h"

namespace mm {

// Where a Milvus field's value comes from in a hit.
struct EsFieldSource {
  std::string es_name;   // "_id" or a (dotted) field name
  std::string es_type;   // the configured ES type
  bool from_id = false;  // the hit's _id
  bool unlisted = false;  // the _source fields no other source names ($meta)
};

struct EsCollectionSchema {
  SchemaPtr schema;                    // field i of the schema is filled from sources[i]
  std::vector<EsFieldSource> sources;
};

inline constexpr int64_t kEsDefaultMaxLen = 65535;
inline constexpr int64_t kEsDefaultMaxCapacity = 4096;

// InvalidArgument naming meta.fields[i] for a field Milvus cannot hold. The dense_vector
// fields named in `bit_vectors` (element_type bit in the mapping) become
// BinaryVector(dims bits); other dense_vectors FloatVector(dims).
Result<EsCollectionSchema> MapEsSchema(const ElasticsearchConfig& config,
                                       const std::string& collection,
                                       const std::set<std::string>& bit_vectors = {});

}  // namespace mm
