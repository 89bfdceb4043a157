#include "sources/elasticsearch/es_schema.h"

#include "milvus/name_rules.h"

namespace mm {
namespace {

DataType ScalarType(const std::string& es_type) {
  if (es_type == "keyword" || es_type == "text") return DataType::kVarChar;
  if (es_type == "long" || es_type == "date") return DataType::kInt64;
  if (es_type == "integer") return DataType::kInt32;
  if (es_type == "short") return DataType::kInt16;
  if (es_type == "byte") return DataType::kInt8;
  if (es_type == "double") return DataType::kDouble;
  if (es_type == "float" || es_type == "half_float") return DataType::kFloat;
  if (es_type == "boolean") return DataType::kBool;
  if (es_type == "object" || es_type == "flattened") return DataType::kJson;
  if (es_type == "dense_vector") return DataType::kFloatVector;
  return DataType::kNone;
}

}  // namespace

Result<EsCollectionSchema> MapEsSchema(const ElasticsearchConfig& config,
                                       const std::string& collection,
                                       const std::set<std::string>& bit_vectors) {
  auto schema = std::make_shared<Schema>();
  schema->collection = collection;
  schema->description = StrCat("migrated from Elasticsearch index ", config.index);
  schema->enable_dynamic_field = !config.close_dynamic_field;
  EsCollectionSchema out;

  bool has_pk = false;
  for (const auto& f : config.fields) has_pk |= f.pk;
  if (!has_pk) {
    schema->fields.push_back(FieldSchema{.name = "_id",
                                         .type = DataType::kVarChar,
                                         .primary_key = true,
                                         .max_length = kEsDefaultMaxLen});
    out.sources.push_back(EsFieldSource{.es_name = "_id", .es_type = "keyword", .from_id = true});
  }
  for (size_t i = 0; i < config.fields.size(); ++i) {
    const EsFieldConfig& f = config.fields[i];
    const std::string key = StrCat("meta.fields[", i, "]");
    // A dotted ES path ("user.name") is a valid ES name but not a Milvus one.
    std::string name = f.name;
    if (!ValidateMilvus2xName(name, "field name").ok()) {
      name = ToMilvus2xName(name);
      if (name == "_id" && !f.pk) name = "_id_";
    }
    FieldSchema field{.name = name, .type = ScalarType(f.type), .primary_key = f.pk};
    if (f.type == "dense_vector") {
      field.dim = f.dims;
      if (bit_vectors.count(f.name)) field.type = DataType::kBinaryVector;
    }
    if (field.type == DataType::kVarChar) {
      field.max_length = f.max_len > 0 ? f.max_len : kEsDefaultMaxLen;
    }
    if (f.is_array) {
      if (field.type == DataType::kJson) {
        return absl::InvalidArgumentError(
            StrCat("[", key, ".isArray] an array of ", f.type, " has no Milvus Array form; "
                   "declare it without isArray and it becomes JSON"));
      }
      field.element_type = field.type;
      field.type = DataType::kArray;
      field.max_capacity = f.max_capacity > 0 ? f.max_capacity : kEsDefaultMaxCapacity;
      if (field.element_type != DataType::kVarChar) field.max_length = 0;
    }
    schema->fields.push_back(field);
    out.sources.push_back(
        EsFieldSource{.es_name = f.name, .es_type = f.type, .from_id = f.name == "_id"});
  }
  if (config.dynamic_unlisted_fields) {
    schema->fields.push_back(FieldSchema{.name = kDynamicFieldName, .type = DataType::kJson});
    out.sources.push_back(EsFieldSource{.es_type = "object", .unlisted = true});
  }
  Status valid = schema->Validate();
  if (!valid.ok()) {
    return absl::InvalidArgumentError(
        StrCat("meta.fields do not make a valid Milvus collection: ", valid.message()));
  }
  out.schema = std::move(schema);
  return out;
}

}  // namespace mm
