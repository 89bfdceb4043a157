// The Milvus 2.x source's parts of migration.yaml (workMode milvus2x), as the Go tool spells
// them (README_2X.md): dumper.worker.reader.bufferSize (rows a read), meta.mode: config,
// meta.version, meta.collection, meta.fields[].name, meta.milvus.*, source.milvus2x.*; plus
// our keys meta.collections (a list, or "*") and source.milvus2x.databases (a list, or "*").
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

struct Milvus2xConfig final : SourceConfig {
  // Source databases; empty means the endpoint's default. {"*"}: every database.
  std::vector<std::string> databases;
  // Source collections; {"*"}: every collection of each database. `start -t NAME` replaces
  // them with NAME (MigrationConfig::collections).
  std::vector<std::string> collections;
  // meta.fields[].name: only these fields (with the pk and a vector among them); empty: all.
  std::vector<std::string> fields;
  // meta.milvus.collection: the target's name; "" = the source's. Only with one collection.
  std::string target_collection;
  bool close_dynamic_field = false;  // meta.milvus.closeDynamicField
  int32_t shard_num = 0;             // meta.milvus.shardNum; 0 = as the source
  std::string consistency_level;     // meta.milvus.consistencyLevel; "" = as the source
  // meta.milvus.autoId: "" = as the source, "true" (new ids) or "false" (ids kept).
  std::string auto_id;
  // source.milvus2x.*: the connection. Secrets stay here; never log them.
  std::string endpoint;
  std::string username;
  std::string password;
  // source.milvus2x.grpc.*: accepted for the Go tool's files; our client takes messages up
  // to its own limit (milvus_client.cc) whatever they say.
  int64_t max_call_recv_msg_size = 0;
  int64_t max_call_send_msg_size = 0;
  int64_t batch_rows = 500;  // dumper.worker.reader.bufferSize: rows a query (<= 16384)
};

// Reads and checks the milvus2x sections; errors name the key ("meta.fields[1].name").
Status ReadMilvus2xConfig(const ConfigReader& r, Milvus2xConfig* out);

// workMode absent: a source.milvus2x section names this kind.
bool RecogniseMilvus2xConfig(const ConfigReader& r, const MigrationConfig& shared);
Result<std::shared_ptr<const SourceConfig>> ParseMilvus2xConfig(ConfigReader& r,
                                                                MigrationConfig* shared);
// Connects to the source Milvus and plans from its collections; `config` is a
// Milvus2xConfig. `shared.collections` (start -t) overrides meta.collection(s).
Result<OpenedSource> OpenMilvus2xSource(const SourceConfig& config,
                                        const MigrationConfig& shared);

}  // namespace mm
