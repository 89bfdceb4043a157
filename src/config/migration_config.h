// The migration.yaml model: the Go tool's schema unchanged, plus our own documented keys
// (README "Configuration"). Parsed once, validated with errors that name the key at fault.
// MigrationConfig holds what every migration shares; each source's own section is parsed by
// its folder (src/sources/<kind>/<kind>_config.h) through src/sources/registry.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/source_config.h"

namespace mm {

// An S3-compatible bucket, as the Go tool spells it under source.remote / target.remote.
struct RemoteConfig {
  std::string cloud = "aws";  // aws (minio, s3), gcp, ali, tc: storage/cloud_endpoint.h
  std::string endpoint;       // "" for the cloud's default
  std::string addressing;     // path | virtual | "" for the cloud's default
  std::string region;
  std::string bucket;
  std::string ak;
  std::string sk;
  bool use_iam = false;
  bool use_ssl = false;
  bool check_bucket = true;
};

enum class IfCollectionExists { kFail, kAppend, kRecreate };

// How the rows reach Milvus (loader.mode): bulk-import files, or batches sent with Insert or
// Upsert as the source yields them (pipeline/insert_sink.h).
enum class LoaderMode { kImport, kInsert, kUpsert };
// "import", "insert", "upsert".
const char* LoaderModeName(LoaderMode mode);

struct MigrationConfig {
  std::string config_path;  // the file this came from, for messages

  // dumper.worker.*
  // The source kind's name in src/sources/registry.cc (faiss, milvus1x or elasticsearch);
  // recognised from the source keys if absent.
  std::string work_mode;
  int dumper_limit = 2;           // tasks dumped concurrently
  // dumper.worker.reader.bufferSize: KB, but documents a page for Elasticsearch (as the Go
  // tool); each source's parser reads it.
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
  // loader.mode, or target.milvus2x.writeMode (the Go tool's key for 2.x -> 2.x: insert |
  // upsert); when neither is given, the source kind's default (sources/registry.h).
  LoaderMode loader_mode = LoaderMode::kImport;

  // retry.budgetSeconds: how long any one operation may keep retrying a connection-level
  // failure (Milvus, Elasticsearch, S3) before it fails.
  int64_t retry_budget_s = 60;

  // The source's own section, as its kind's parser in src/sources/registry.cc returns it;
  // only that kind's opener looks inside. Never null in a parsed config.
  std::shared_ptr<const SourceConfig> source;

  // Given on the command line, not in the file:
  // only these source collections (`dump --col a,b`; Milvus 1.x); empty means all.
  std::vector<std::string> collections;
  // Take over the output's migration.lock even if it has not expired (`--force-unlock`).
  bool force_unlock = false;

  // target.*
  std::string target_mode = "remote";  // local | remote
  std::string output_dir;  // target.local.outputDir or target.remote.outputDir, + "/migration"
  RemoteConfig target_remote;

  // target.milvus2x.*
  std::string milvus_endpoint;
  std::string milvus_username;
  std::string milvus_password;
  std::string milvus_database;  // created if it does not exist
  // target.milvus2x.grpc.maxCallSendMsgSize: the largest request the target takes, in bytes;
  // Insert/Upsert requests are cut under it. 0 = not given (64 MiB, Milvus' default).
  int64_t milvus_max_send_bytes = 0;
  int64_t milvus_max_recv_bytes = 0;  // target.milvus2x.grpc.maxCallRecvMsgSize (accepted)

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

class ConfigReader;

// Reads a bucket section ("source.remote", "target.remote"); type errors name the key.
Status ReadRemoteConfig(const ConfigReader& r, const std::string& prefix, RemoteConfig* out);
// Checks that a bucket section names a usable bucket; errors name the key.
Status CheckRemoteConfig(const ConfigReader& r, const std::string& prefix,
                         const RemoteConfig& remote);

// Reads dumper.worker.reader.bufferSize in KB into shared->reader_buffer_kb: for the source
// parsers whose kind reads it so.
Status ReadReaderBufferKb(const ConfigReader& r, MigrationConfig* shared);

// Parses YAML text; `path` names the file in messages. Keys match case-insensitively; two
// keys of one mapping differing only by case are InvalidArgument naming both. Keys no parser
// reads are logged as warnings naming the nearest known key, or, with `strict`, are
// InvalidArgument naming each.
Result<MigrationConfig> ParseMigrationConfig(const std::string& yaml_text,
                                             const std::string& path, bool strict = false);
// Reads and parses a file; NotFound naming the path when absent.
Result<MigrationConfig> LoadMigrationConfig(const std::string& path, bool strict = false);

}  // namespace mm
