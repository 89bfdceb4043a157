// The Elasticsearch parts of migration.yaml (workMode elasticsearch), as the Go tool spells
// them: meta.index, meta.fields[], meta.milvus.*, source.es.*; plus our documented keys.
// Its parser and its opener, for the source registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/status.h"
#include "sources/registry.h"
#include "sources/source_config.h"

namespace mm {

// One meta.fields[] entry: an ES field and how it lands in Milvus.
struct EsFieldConfig {
  std::string name;          // ES field (dotted path for object sub-fields); "_id" allowed
  std::string type;          // keyword, text, long, integer, short, byte, double, float,
                             // half_float, boolean, date, dense_vector, object, flattened
  bool pk = false;
  int64_t dims = 0;          // dense_vector
  int64_t max_len = 0;       // keyword/text VarChar length; 0 = 65535
  bool is_array = false;     // isArray: an array of scalars -> Milvus Array
  int64_t max_capacity = 0;  // maxCapacity of an Array; 0 = 4096
};

// source.es.*: how to reach the cluster. Secrets stay here; never log them.
struct EsConnectionConfig {
  std::vector<std::string> urls;
  std::string username;
  std::string password;
  std::string cert;           // CA file (PEM) for HTTPS
  std::string fingerprint;    // SHA-256 of the server certificate, hex (':' allowed)
  std::string service_token;  // "Bearer xxx" or just the token
  std::string cloud_id;
  std::string api_key;        // base64 "id:key", or "id:key"
};

struct ElasticsearchConfig final : SourceConfig {
  std::string index;                 // meta.index
  std::vector<EsFieldConfig> fields;  // meta.fields
  std::string collection;            // meta.milvus.collection; "" = the index name
  bool close_dynamic_field = false;  // meta.milvus.closeDynamicField
  // meta.milvus.dynamicUnlistedFields: the _source fields not in meta.fields go into the
  // collection's dynamic field ($meta) instead of being left out.
  bool dynamic_unlisted_fields = false;
  int32_t shard_num = 0;             // meta.milvus.shardNum; 0 = Milvus' default
  std::string consistency_level;     // meta.milvus.consistencyLevel; "" = Milvus' default
  EsConnectionConfig connection;
  int64_t batch_docs = 2500;         // dumper.worker.reader.bufferSize: documents a page
  // Whether bufferSize was set: if not, a page holds at most batch_docs documents and about
  // kEsPageBytes of JSON (es_source.cc), so that memory stays flat whatever a document's
  // size; if set, every page asks for exactly batch_docs.
  bool batch_docs_set = false;
  int slices = 0;                    // source.es.slices; 0 = dumper.worker.limit
  bool skip_invalid_docs = false;    // meta.invalidDocs: fail (default) | skip
  // source.es.readMode: auto (a point in time on 7.12+, else scrolls) | pit | scroll.
  std::string read_mode = "auto";
};

// Reads and checks the ES sections; errors name the key ("meta.fields[1].dims").
Status ReadElasticsearchConfig(const ConfigReader& r, ElasticsearchConfig* out);

// A source.es section names an Elasticsearch source.
bool RecogniseElasticsearchConfig(const ConfigReader& r, const MigrationConfig& shared);
// ReadElasticsearchConfig plus the shared settings ES spells its own way: reader.bufferSize
// is documents a page; meta.invalidDocs is dumper.invalidRows (either sets both).
Result<std::shared_ptr<const SourceConfig>> ParseElasticsearchSourceConfig(
    ConfigReader& r, MigrationConfig* shared);
// Connects to the cluster and checks the index; `config` is an ElasticsearchConfig.
Result<OpenedSource> OpenElasticsearchSource(const SourceConfig& config,
                                             const MigrationConfig& shared);

}  // namespace mm
