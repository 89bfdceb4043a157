// Turns MongoDB documents (BSON) into batch rows, one configured field per column (README,
// "MongoDB"):
//   int32, int64, double -> the numeric fields (a double only where integral for integers)
//   decimal128 -> Float/Double, rounded, with a warning once a reader
//   bool -> Bool   string -> VarChar   ObjectId -> VarChar (24 hex digits)
//   date -> Int64 (epoch milliseconds)   embedded document, any value -> JSON
//   array of scalars -> Array   array of numbers, Binary subtype 9 FLOAT32/INT8 -> FloatVector
//   Binary subtype 9 PACKED_BIT, array of 0/1 -> BinaryVector
// null and a missing field make the document invalid (Milvus 2.3 has no nullable fields),
// except for a JSON field, which holds null. A document that does not fit is an error naming
// its _id and field, or, when skipping, goes to the batch's skips (Batch::AddSkip) for the
// dump to count. With unlisted: dynamic, the fields not listed go to $meta as JSON.
// Not thread-safe; one decoder per reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"
#include "core/status.h"
#include "sources/mongodb/mongodb_config.h"

typedef struct _bson_t bson_t;  // NOLINT: libbson's own spelling

namespace mm {

// Where each column's value comes from: field i of `schema` from paths[i] ("" for $meta).
struct MongoCollectionSchema {
  SchemaPtr schema;
  std::vector<std::string> paths;
};

// The target schema of `config`'s fields in collection `collection`: the pk is `_id`, typed
// `id_type` (VarChar or Int64) unless the fields list it; `id_is_oid` sizes a VarChar _id at
// 24 bytes when it has no maxLen. With unlisted: dynamic, a last JSON column "$meta".
Result<MongoCollectionSchema> MapMongoSchema(const MongoConfig& config,
                                             const std::string& collection, DataType id_type,
                                             bool id_is_oid);

// `value` (a document holding one value under any key, e.g. {"_id": ...}) as the text a
// message shows: an ObjectId's hex, a string, a number.
std::string MongoIdText(const bson_t* value_doc);

class MongoDocDecoder {
 public:
  // `name`: "database.collection", for messages.
  MongoDocDecoder(MongoCollectionSchema schema, std::string name, bool skip_invalid);

  // Appends `doc` as a row of `batch` (true), or, when it does not fit and skipping, adds it
  // to the batch's skips (false). InvalidArgument naming the _id and field when not skipping.
  Result<bool> Decode(const bson_t* doc, Batch* batch);

 private:
  MongoCollectionSchema schema_;
  std::string name_;
  bool skip_invalid_;
  std::vector<std::string> listed_;  // the paths of the listed fields, for $meta
  std::vector<std::string> values_;
  bool warned_decimal_ = false;
};

}  // namespace mm
