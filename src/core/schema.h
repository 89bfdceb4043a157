// The target collection's shape, in Milvus 2.x terms. Sources describe what they hold with
// it; sinks (bulk-import files, the Milvus client) turn it into files and CreateCollection.
// Immutable once built; shared between threads through std::shared_ptr<const Schema>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mm {

// Values are Milvus' schema.proto DataType numbers, so they go on the wire unchanged.
enum class DataType : int32_t {
  kNone = 0,
  kBool = 1,
  kInt8 = 2,
  kInt16 = 3,
  kInt32 = 4,
  kInt64 = 5,
  kFloat = 10,
  kDouble = 11,
  kVarChar = 21,
  kArray = 22,
  kJson = 23,
  kBinaryVector = 100,
  kFloatVector = 101,
  kFloat16Vector = 102,
  kBFloat16Vector = 103,
  kSparseFloatVector = 104,
};

std::string_view DataTypeName(DataType type);
bool IsVectorType(DataType type);

struct FieldSchema {
  std::string name;
  DataType type = DataType::kNone;
  bool primary_key = false;
  bool auto_id = false;
  bool partition_key = false;
  bool nullable = false;
  int64_t dim = 0;         // vectors: FloatVector components, BinaryVector bits.
  int64_t max_length = 0;  // VarChar: bytes.
  DataType element_type = DataType::kNone;  // Array elements.
  int64_t max_capacity = 0;                 // Array elements per row.

  // Bytes one row of this field takes in a fixed-width column; 0 for variable width
  // (VarChar, JSON, Array, sparse).
  int64_t FixedWidth() const;
};

// A JSON field of this name holds the dynamic field's data (keys not in the schema). It is
// not created as a field: Schema::enable_dynamic_field makes Milvus keep it.
inline constexpr const char* kDynamicFieldName = "$meta";

struct Schema {
  std::string collection;
  std::string description;
  std::vector<FieldSchema> fields;
  bool enable_dynamic_field = false;
  // A partition-key collection's physical partitions (CreateCollection num_partitions);
  // 0 = Milvus' default (64).
  int64_t num_partitions = 0;

  // Index of the field named `name`, or -1.
  int FieldIndex(std::string_view name) const;
  const FieldSchema* PrimaryKey() const;
  // Checks the rules Milvus enforces at CreateCollection: one primary key of Int64 or
  // VarChar, at least one vector field, positive dims (BinaryVector a multiple of 8),
  // unique field names.
  Status Validate() const;
};

using SchemaPtr = std::shared_ptr<const Schema>;

// An index to build on a field once the rows are in, as the source collection had it
// (a Milvus 2.x source): CreateIndex's index_type, metric_type and params.
struct IndexSpec {
  std::string field;
  std::string index_type;
  std::string metric_type;  // "" for scalar indexes
  std::map<std::string, std::string> params;
};

}  // namespace mm
