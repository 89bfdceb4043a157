#include "core/schema.h"

#include <set>

namespace mm {

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kNone: return "None";
    case DataType::kBool: return "Bool";
    case DataType::kInt8: return "Int8";
    case DataType::kInt16: return "Int16";
    case DataType::kInt32: return "Int32";
    case DataType::kInt64: return "Int64";
    case DataType::kFloat: return "Float";
    case DataType::kDouble: return "Double";
    case DataType::kVarChar: return "VarChar";
    case DataType::kArray: return "Array";
    case DataType::kJson: return "JSON";
    case DataType::kBinaryVector: return "BinaryVector";
    case DataType::kFloatVector: return "FloatVector";
    case DataType::kFloat16Vector: return "Float16Vector";
    case DataType::kBFloat16Vector: return "BFloat16Vector";
    case DataType::kSparseFloatVector: return "SparseFloatVector";
  }
  return "Unknown";
}

bool IsVectorType(DataType type) {
  switch (type) {
    case DataType::kBinaryVector:
    case DataType::kFloatVector:
    case DataType::kFloat16Vector:
    case DataType::kBFloat16Vector:
    case DataType::kSparseFloatVector:
      return true;
    default:
      return false;
  }
}

int64_t FieldSchema::FixedWidth() const {
  switch (type) {
    case DataType::kBool:
    case DataType::kInt8: return 1;
    case DataType::kInt16: return 2;
    case DataType::kInt32:
    case DataType::kFloat: return 4;
    case DataType::kInt64:
    case DataType::kDouble: return 8;
    case DataType::kFloatVector: return dim * 4;
    case DataType::kBinaryVector: return dim / 8;
    case DataType::kFloat16Vector:
    case DataType::kBFloat16Vector: return dim * 2;
    default: return 0;
  }
}

int Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const FieldSchema* Schema::PrimaryKey() const {
  for (const auto& f : fields) {
    if (f.primary_key) return &f;
  }
  return nullptr;
}

Status Schema::Validate() const {
  if (collection.empty()) return absl::InvalidArgumentError("schema: collection name is empty");
  std::set<std::string> names;
  int primary_keys = 0;
  int vectors = 0;
  for (const auto& f : fields) {
    if (f.name.empty()) {
      return absl::InvalidArgumentError(
          StrCat("collection ", collection, ": a field has an empty name"));
    }
    if (!names.insert(f.name).second) {
      return absl::InvalidArgumentError(
          StrCat("collection ", collection, ": field '", f.name, "' appears twice"));
    }
    if (f.primary_key) {
      ++primary_keys;
      if (f.type != DataType::kInt64 && f.type != DataType::kVarChar) {
        return absl::InvalidArgumentError(StrCat(
            "collection ", collection, ": primary key '", f.name, "' is ",
            DataTypeName(f.type), ", expected Int64 or VarChar"));
      }
    }
    if (IsVectorType(f.type)) {
      ++vectors;
      if (f.type != DataType::kSparseFloatVector && f.dim <= 0) {
        return absl::InvalidArgumentError(StrCat(
            "collection ", collection, ": vector field '", f.name, "' has dim ", f.dim,
            ", expected a positive number"));
      }
      if (f.type == DataType::kBinaryVector && f.dim % 8 != 0) {
        return absl::InvalidArgumentError(StrCat(
            "collection ", collection, ": binary vector field '", f.name, "' has dim ",
            f.dim, ", expected a multiple of 8"));
      }
    }
    if (f.name == kDynamicFieldName &&
        (f.type != DataType::kJson || f.primary_key || !enable_dynamic_field)) {
      return absl::InvalidArgumentError(StrCat(
          "collection ", collection, ": field '", f.name, "' is the dynamic field: it must be "
          "JSON, not a primary key, and the collection must enable the dynamic field"));
    }
    if (f.type == DataType::kVarChar && f.max_length <= 0) {
      return absl::InvalidArgumentError(StrCat(
          "collection ", collection, ": VarChar field '", f.name, "' needs max_length > 0"));
    }
  }
  if (primary_keys != 1) {
    return absl::InvalidArgumentError(StrCat(
        "collection ", collection, ": expected exactly one primary key, found ", primary_keys));
  }
  if (vectors == 0) {
    return absl::InvalidArgumentError(
        StrCat("collection ", collection, ": expected at least one vector field"));
  }
  return absl::OkStatus();
}

}  // namespace mm
