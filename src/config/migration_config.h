// The migration.yaml model: the Go tool's schema unchanged, plus our own documented keys
// (README "Configuration"). Parsed once, validated with errors that name the key at fault.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/elasticsearch_config.h"
#include "core/status.h"

namespace mm {

// An S3-compatible bucket, as the Go tool spells it under source.remote / target.remote.
struct RemoteConfig {
  std::string cloud = "aws";
  std::string endpoint;
  std::string region;
  std::string bucket;
  std::string ak;
  std::string sk;
  bool use_iam = false;
  bool use_ssl = false;
  bool check_bucket = true;
};

enum class IfCollectionExists { kFail, kAppend, kRecreate };

struct MigrationConfig {
  std::string config_path;  // the file this came from, for messages

  // dumper.worker.*
  std::string work_mode;  // faiss, milvus1x or elasticsearch (inferred from source keys if absent)
  int dumper_limit = 2;           // tasks dumped concurrently
  int64_t reader_buffer_kb = 1024;
  int64_t writer_buffer_kb = 1024;
  int64_t part_size_mb = 1024;    // dumper.worker.partSizeMB: bytes of one import part
  // dumper.invalidRows: fail (default) | skip. An invalid row (a non-finite vector value, an
  // ES document that does not fit) stops the dump, or is left out and counted. ES's
  // meta.invalidDocs is the same setting (es.skip_invalid_docs follows this one).
  bool skip_invalid_rows = false;
  // dumper.maxInvalidRatio (0..1): fail once more than this share of a collection's rows
  // were left out; < 0 when not set.
  double max_invalid_ratio = -1;

  // loader.worker.*
  int loader_limit = 2;           // imports in flight
  int64_t import_timeout_s = 3600;  // loader.import.timeoutSeconds, per part
  bool cleanup = false;           // loader.cleanup: delete dumped files after a verified load

  // retry.budgetSeconds: how long any one operation may keep retrying a connection-level
  // failure (Milvus, Elasticsearch, S3) before it fails.
  int64_t retry_budget_s = 60;

  // source.*
  std::string source_mode = "local";  // local | remote
  std::string faiss_file;             // source.local.faissFile or source.remote.faissFile
  RemoteConfig source_remote;
  // source.faiss.allowTrailingBytes: accept (with a warning) bytes after the end of the
  // FAISS index instead of refusing the file as damaged.
  bool faiss_allow_trailing_bytes = false;

  // Milvus 1.x (workMode milvus1x): where its segments and its metadata are.
  std::string tables_dir;        // source.local.tablesDir or source.remote.tablesDir
  std::string meta_mode;         // meta.mode: sqlite | mysql | local | mock | remote
  std::string meta_sqlite_file;  // meta.sqliteFile
  std::string meta_mysql_url;    // meta.mysqlUrl (Go driver DSN)
  std::string meta_local_file;   // meta.localFile (meta.mockFile for mock): a meta.json
  std::string meta_remote_file;  // meta.remoteMetaFile: a meta.json in source.remote's bucket
  // Only these 1.x collections (`dump --col a,b`); empty means all.
  std::vector<std::string> collections;
  // Take over the output's migration.lock even if it has not expired (`--force-unlock`).
  bool force_unlock = false;
  // 1.x names to 2.x names, for names 2.x rejects or that should change
  // (target.create.collection.nameMap, target.create.partition.nameMap: tag -> name).
  std::map<std::string, std::string> collection_name_map;
  std::map<std::string, std::string> partition_name_map;

  // Elasticsearch (workMode elasticsearch).
  ElasticsearchConfig es;

  // target.*
  std::string target_mode = "remote";  // local | remote
  std::string output_dir;  // target.local.outputDir or target.remote.outputDir, + "/migration"
  RemoteConfig target_remote;

  // target.milvus2x.*
  std::string milvus_endpoint;
  std::string milvus_username;
  std::string milvus_password;
  std::string milvus_database;

  // target.create.collection.*
  std::string collection;
  int32_t shards_num = 2;
  int64_t dim = 0;
  std::string metric_type;  // "" = from the source
  IfCollectionExists if_exists = IfCollectionExists::kFail;

  // target.create.index.*: an index on the vector field once the rows are in, with the
  // collection's metric; no index when the type is empty (as the Go tool).
  std::string index_type;
  std::map<std::string, std::string> index_params;
  bool load_collection = false;  // target.create.loadCollection: load it for search after
};

// Parses YAML text; `path` names the file in messages. Keys match case-insensitively; two
// keys of one mapping differing only by case are InvalidArgument naming both. Keys no parser
// reads are logged as warnings naming the nearest known key, or, with `strict`, are
// InvalidArgument naming each.
Result<MigrationConfig> ParseMigrationConfig(const std::string& yaml_text,
                                             const std::string& path, bool strict = false);
// Reads and parses a file; NotFound naming the path when absent.
Result<MigrationConfig> LoadMigrationConfig(const std::string& path, bool strict = false);

}  // namespace mm
