// The MongoDB part of migration.yaml (workMode mongodb): source.mongodb.*. Its parser and its
// opener, for the source registry.
//
//   source:
//     mongodb:
//       uri: mongodb://user:password@host:27017/?authSource=admin   # or mongodb+srv://
//       database: shop
//       collections: {products: products_v2}     # source collection -> target collection
//       filter: '{"status": "active"}'           # a query document (JSON), optional
//       fields:                                  # what each row holds, in this order
//         - {name: _id, type: VarChar}           # optional: the pk is _id, typed from the data
//         - {name: embedding, type: FloatVector, dims: 768}
//         - {name: meta.author, target: author, type: VarChar, maxLen: 256}
//       unlisted: dynamic                        # drop (default) | dynamic: the rest -> $meta
//       invalidDocs: skip                        # fail (default) | skip
//       tasks: 4                                 # _id ranges a collection; 0 = worker limit
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "sources/registry.h"
#include "sources/source_config.h"

namespace mm {

// One source.mongodb.fields[] entry: a document path and the Milvus field it fills.
struct MongoFieldConfig {
  std::string path;     // dotted path into the document ("meta.author"); "_id" for the pk
  std::string target;   // the Milvus field name; default: the path with '.' as '_'
  DataType type = DataType::kNone;
  int64_t dims = 0;          // vectors: FloatVector components, BinaryVector bits
  int64_t max_len = 0;       // VarChar bytes; 0 = 65535 (24 for an ObjectId _id)
  DataType element_type = DataType::kNone;  // Array
  int64_t max_capacity = 0;                 // Array; 0 = 4096
};

// source.mongodb.*. The uri holds the credentials: never log it (MongoUriForLog).
struct MongoConfig final : SourceConfig {
  std::string uri;
  std::string database;
  // Source collection -> target collection, in the order given.
  std::vector<std::pair<std::string, std::string>> collections;
  std::string filter = "{}";  // a query document, as JSON (extended JSON allowed)
  std::vector<MongoFieldConfig> fields;
  bool dynamic_unlisted = false;   // unlisted: dynamic
  bool skip_invalid_docs = false;  // invalidDocs: skip (same setting as dumper.invalidRows)
  int tasks = 0;                   // _id ranges a collection; 0 = dumper.worker.limit
  int64_t batch_docs = 1000;       // documents a batch (and a cursor batch)
};

// Reads and checks source.mongodb; errors name the key ("source.mongodb.fields[1].dims").
Status ReadMongoConfig(const ConfigReader& r, MongoConfig* out);

// The uri without its user info and options (credentials), for messages and the manifest.
std::string MongoUriForLog(const std::string& uri);

// The Milvus type named `name` (case-insensitive: Bool, Int8..Int64, Float, Double, VarChar,
// JSON, Array, FloatVector, BinaryVector), or kNone.
DataType ParseMongoFieldType(const std::string& name);

// A source.mongodb section names a MongoDB source.
bool RecogniseMongoConfig(const ConfigReader& r, const MigrationConfig& shared);
// ReadMongoConfig plus the shared settings: invalidDocs is dumper.invalidRows (either sets
// both); tasks defaults to dumper.worker.limit.
Result<std::shared_ptr<const SourceConfig>> ParseMongoSourceConfig(ConfigReader& r,
                                                                   MigrationConfig* shared);
// Connects (checking the credentials), checks the database and collections; `config` is a
// MongoConfig.
Result<OpenedSource> OpenMongoSource(const SourceConfig& config, const MigrationConfig& shared);

}  // namespace mm
