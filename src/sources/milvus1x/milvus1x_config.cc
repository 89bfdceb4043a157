#include "sources/milvus1x/milvus1x_config.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "sources/milvus1x/meta_json.h"
#include "sources/milvus1x/milvus1x_source.h"
#include "sources/milvus1x/mysql_meta_reader.h"
#include "sources/milvus1x/sqlite_meta_reader.h"
#include "sources/source_files.h"
#include "storage/local_storage.h"

namespace mm {
namespace {

std::string TablesDirKey(const std::string& source_mode) {
  return "source." + source_mode + ".tablesDir";
}

// meta.* as the Go tool reads it, and its older spelling under source.local.meta.*.
Status ReadMeta(const ConfigReader& r, Milvus1xConfig* c) {
  const bool legacy = !r.Has("meta.mode") && r.Has("source.local.meta.mode");
  const std::string prefix = legacy ? "source.local.meta." : "meta.";
  RETURN_IF_ERROR(r.Get(prefix + "mode", &c->meta_mode));
  if (c->meta_mode.empty() && c->location.mode == "remote" && r.Has("source.remote.metaFile")) {
    c->meta_mode = "remote";
  }
  struct ModeKey {
    const char* mode;
    std::string key;
    std::string* value;
    const char* what;
  };
  const ModeKey modes[] = {
      {"sqlite", prefix + "sqliteFile", &c->meta_sqlite_file, "the 1.x meta.sqlite file"},
      {"mysql", legacy ? prefix + "mysql.url" : prefix + "mysqlUrl", &c->meta_mysql_url,
       "the MySQL DSN, user:password@tcp(host:3306)/milvus"},
      {"local", prefix + "localFile", &c->meta_local_file, "a meta.json made by `export`"},
      {"mock", prefix + "mockFile", &c->meta_local_file, "a meta.json made by `export`"},
      {"remote", r.Has("meta.remoteMetaFile") ? "meta.remoteMetaFile" : "source.remote.metaFile",
       &c->meta_remote_file, "the key of a meta.json in source.remote.bucket"},
  };
  for (const auto& m : modes) {
    if (c->meta_mode != m.mode) continue;
    RETURN_IF_ERROR(r.Get(m.key, m.value));
    if (m.value->empty()) return r.Invalid(m.key, StrCat("must be set: ", m.what));
    if (c->meta_mode == "remote" && c->location.mode != "remote") {
      return r.Invalid("meta.mode", "remote reads the meta.json from source.remote's bucket, "
                                    "so it needs source.mode: remote");
    }
    if (c->meta_mode == "mock") c->meta_mode = "local";
    return absl::OkStatus();
  }
  return r.Invalid(prefix + "mode", StrCat("expected sqlite, mysql, local or remote, got '",
                                           c->meta_mode, "'"));
}

Result<std::shared_ptr<Storage>> OpenTablesDir(const Milvus1xConfig& config,
                                               const MigrationConfig& shared) {
  if (config.location.mode == "remote") {
    ASSIGN_OR_RETURN(auto bucket, OpenSourceBucket(shared, config.location, config.tables_dir));
    return std::shared_ptr<Storage>(std::move(bucket));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(config.tables_dir, ec)) {
    return absl::NotFoundError(StrCat("[source.local.tablesDir] ", config.tables_dir,
                                      " is not a directory (expected the 1.x db/tables "
                                      "directory)"));
  }
  ASSIGN_OR_RETURN(auto local, LocalStorage::Open(config.tables_dir));
  return std::shared_ptr<Storage>(std::move(local));
}

}  // namespace

bool RecogniseMilvus1xConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  if (r.Has("source.es")) return false;
  std::string tables_dir;
  // A malformed tablesDir still names 1.x, so that its parser reports the key.
  return !r.Get(TablesDirKey(SourceModeOf(r)), &tables_dir).ok() || !tables_dir.empty() ||
         r.Has("meta.mode");
}

Result<std::shared_ptr<const SourceConfig>> ParseMilvus1xConfig(ConfigReader& r,
                                                                MigrationConfig* shared) {
  auto c = std::make_shared<Milvus1xConfig>();
  RETURN_IF_ERROR(ReadSourceLocation(r, &c->location));
  const std::string tables_key = TablesDirKey(c->location.mode);
  RETURN_IF_ERROR(r.Get(tables_key, &c->tables_dir));
  RETURN_IF_ERROR(ReadReaderBufferKb(r, shared));
  if (c->tables_dir.empty()) {
    return r.Invalid(tables_key, "must name the Milvus 1.x tables directory (<milvus>/db/tables)");
  }
  RETURN_IF_ERROR(ReadMeta(r, c.get()));
  RETURN_IF_ERROR(CheckSourceLocation(r, c->location));
  // A 1.x instance names its own collections: target.create.collection.name is not needed.
  RETURN_IF_ERROR(r.Get("target.create.collection.nameMap", &c->collection_name_map));
  RETURN_IF_ERROR(r.Get("target.create.partition.nameMap", &c->partition_name_map));
  return std::shared_ptr<const SourceConfig>(std::move(c));
}

Result<Milvus1xMetaRead> ReadMilvus1xMeta(const Milvus1xConfig& config,
                                          const MigrationConfig& shared) {
  Milvus1xMetaRead read;
  if (config.meta_mode == "sqlite") {
    read.origin = StrCat("sqlite ", config.meta_sqlite_file);
    ASSIGN_OR_RETURN(read.meta, ReadSqliteMeta(config.meta_sqlite_file));
  } else if (config.meta_mode == "mysql") {
    ASSIGN_OR_RETURN(MysqlDsn dsn, ParseMysqlDsn(config.meta_mysql_url));
    read.origin = StrCat("mysql ", dsn.Redacted());
    ASSIGN_OR_RETURN(read.meta, ReadMysqlMeta(dsn));
  } else if (config.meta_mode == "local" || config.meta_mode == "remote") {
    std::unique_ptr<Storage> bucket;  // the remote file reads through it
    std::unique_ptr<RandomAccessFile> file;
    if (config.meta_mode == "local") {
      ASSIGN_OR_RETURN(file, OpenLocalFile(config.meta_local_file));
    } else {
      ASSIGN_OR_RETURN(bucket, OpenSourceBucket(shared, config.location, ""));
      std::string key = config.meta_remote_file;
      while (!key.empty() && key.front() == '/') key.erase(key.begin());
      ASSIGN_OR_RETURN(file, bucket->OpenRead(key));
    }
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(*file));
    read.origin = StrCat("meta.json ", file->name());
    ASSIGN_OR_RETURN(read.meta, ParseMetaJson(text, file->name()));
  } else {
    return absl::InvalidArgumentError(
        StrCat(shared.config_path, ": [meta.mode] '", config.meta_mode, "' is not supported"));
  }
  return read;
}

Result<OpenedSource> OpenMilvus1xSource(const SourceConfig& source_config,
                                        const MigrationConfig& shared) {
  const auto& config = static_cast<const Milvus1xConfig&>(source_config);
  ASSIGN_OR_RETURN(Milvus1xMetaRead read, ReadMilvus1xMeta(config, shared));
  ASSIGN_OR_RETURN(std::shared_ptr<Storage> tables, OpenTablesDir(config, shared));
  Milvus1xSourceOptions options;
  options.collections = shared.collections;
  options.collection_name_map = config.collection_name_map;
  options.partition_name_map = config.partition_name_map;
  options.shards_num = shared.shards_num;
  options.read_buffer_bytes = std::max<int64_t>(shared.reader_buffer_kb, 4) << 10;
  options.batch_bytes = std::max<int64_t>(options.read_buffer_bytes, 4 << 20);
  const int64_t segments = read.meta.segment_count();
  spdlog::info("milvus1x: {}: {} table(s), {} live segment(s), {} live rows", read.origin,
               read.meta.tables.size(), segments, read.meta.rows);
  OpenedSource opened;
  // Names what is read and how much of it, so a resumed dump refuses a changed instance.
  opened.id = StrCat("milvus1x:", read.origin, " tables ", tables->Describe(), " (",
                     read.meta.tables.size(), " tables, ", segments, " segments, ",
                     read.meta.rows, " rows)");
  ASSIGN_OR_RETURN(opened.source,
                   Milvus1xSource::Open(std::move(read.meta), std::move(tables), options));
  return opened;
}

}  // namespace mm
