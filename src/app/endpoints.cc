#include "app/endpoints.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "sources/elasticsearch/es_source.h"
#include "sources/faiss/faiss_source.h"
#include "sources/milvus1x/meta_json.h"
#include "sources/milvus1x/milvus1x_source.h"
#include "sources/milvus1x/mysql_meta_reader.h"
#include "sources/milvus1x/sqlite_meta_reader.h"
#include "storage/local_storage.h"
#include "storage/s3_storage.h"

namespace mm {
namespace {

// `section` is "source.remote" or "target.remote", for messages.
S3Options ToS3Options(const MigrationConfig& config, const RemoteConfig& r,
                      const std::string& section, std::string prefix) {
  const int64_t writer_buffer_kb = config.writer_buffer_kb;
  S3Options o;
  o.retry_budget_ms = config.retry_budget_s * 1000;
  o.credentials_origin = section + ".ak/sk";
  // dumper.worker.writer.bufferSize sizes the upload parts. Each open file holds about three
  // of them, so it bounds the dump's memory; S3 refuses parts under 5 MiB.
  o.part_size = std::max<size_t>(size_t{5} << 20, static_cast<size_t>(writer_buffer_kb) << 10);
  o.endpoint = r.endpoint;
  o.region = r.region.empty() ? "us-east-1" : r.region;
  o.bucket = r.bucket;
  o.access_key = r.ak;
  o.secret_key = r.sk;
  o.use_ssl = r.use_ssl;
  o.use_iam = r.use_iam;
  o.check_bucket = r.check_bucket;
  o.prefix = std::move(prefix);
  return o;
}

// The bucket the source lives in (source.remote), rooted at `prefix`.
Result<std::unique_ptr<S3Storage>> OpenSourceBucket(const MigrationConfig& config,
                                                    std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(prefix.begin());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return S3Storage::Open(ToS3Options(config, config.source_remote, "source.remote", prefix));
}

Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& config,
                                                         const std::string& path) {
  if (config.source_mode == "local") {
    ASSIGN_OR_RETURN(auto file, OpenLocalFile(path));
    return std::shared_ptr<RandomAccessFile>(std::move(file));
  }
  ASSIGN_OR_RETURN(auto bucket, OpenSourceBucket(config, ""));
  ASSIGN_OR_RETURN(auto file, bucket->OpenRead(path));
  // The file reads through the bucket's client: keep both alive together.
  std::shared_ptr<Storage> owner(std::move(bucket));
  RandomAccessFile* raw = file.release();
  return std::shared_ptr<RandomAccessFile>(raw, [owner](RandomAccessFile* f) { delete f; });
}


Result<std::shared_ptr<Storage>> OpenTablesDir(const MigrationConfig& config) {
  if (config.source_mode == "remote") {
    ASSIGN_OR_RETURN(auto bucket, OpenSourceBucket(config, config.tables_dir));
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

Result<OpenedSource> OpenFaissSource(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(auto file, OpenSourceFile(config, config.faiss_file));
  FaissSourceOptions options;
  options.collection = config.collection;
  options.dim = config.dim;
  options.metric_type = config.metric_type;
  options.shards_num = config.shards_num;
  options.batch_bytes = std::max<int64_t>(config.reader_buffer_kb, 64) << 10;
  options.allow_trailing_bytes = config.faiss_allow_trailing_bytes;
  OpenedSource opened;
  opened.id = StrCat("faiss:", file->name(), " (", file->Size(), " bytes)");
  ASSIGN_OR_RETURN(opened.source, FaissSource::Open(file, options));
  return opened;
}

Result<OpenedSource> OpenMilvus1xSource(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(Milvus1xMetaRead read, ReadMilvus1xMeta(config));
  ASSIGN_OR_RETURN(std::shared_ptr<Storage> tables, OpenTablesDir(config));
  Milvus1xSourceOptions options;
  options.collections = config.collections;
  options.collection_name_map = config.collection_name_map;
  options.partition_name_map = config.partition_name_map;
  options.shards_num = config.shards_num;
  options.read_buffer_bytes = std::max<int64_t>(config.reader_buffer_kb, 4) << 10;
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

Result<OpenedSource> OpenElasticsearchSource(const MigrationConfig& config) {
  EsClientOptions es_options;
  es_options.retry_budget_ms = config.retry_budget_s * 1000;
  ASSIGN_OR_RETURN(std::unique_ptr<EsClient> client,
                   EsClient::Connect(config.es.connection, es_options));
  std::shared_ptr<EsClient> shared(std::move(client));
  ASSIGN_OR_RETURN(auto source, EsSource::Open(shared, config.es));
  OpenedSource opened;
  opened.id = StrCat("elasticsearch:", shared->base_url(), "/", config.es.index, " (",
                     source->document_count(), " documents)");
  opened.source = std::move(source);
  return opened;
}

}  // namespace

Result<Milvus1xMetaRead> ReadMilvus1xMeta(const MigrationConfig& config) {
  Milvus1xMetaRead read;
  if (config.meta_mode == "sqlite") {
    read.origin = StrCat("sqlite ", config.meta_sqlite_file);
    ASSIGN_OR_RETURN(read.meta, ReadSqliteMeta(config.meta_sqlite_file));
  } else if (config.meta_mode == "mysql") {
    ASSIGN_OR_RETURN(MysqlDsn dsn, ParseMysqlDsn(config.meta_mysql_url));
    read.origin = StrCat("mysql ", dsn.Redacted());
    ASSIGN_OR_RETURN(read.meta, ReadMysqlMeta(dsn));
  } else if (config.meta_mode == "local" || config.meta_mode == "remote") {
    std::unique_ptr<S3Storage> bucket;  // the remote file reads through it
    std::unique_ptr<RandomAccessFile> file;
    if (config.meta_mode == "local") {
      ASSIGN_OR_RETURN(file, OpenLocalFile(config.meta_local_file));
    } else {
      ASSIGN_OR_RETURN(bucket, OpenSourceBucket(config, ""));
      std::string key = config.meta_remote_file;
      while (!key.empty() && key.front() == '/') key.erase(key.begin());
      ASSIGN_OR_RETURN(file, bucket->OpenRead(key));
    }
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(*file));
    read.origin = StrCat("meta.json ", file->name());
    ASSIGN_OR_RETURN(read.meta, ParseMetaJson(text, file->name()));
  } else {
    return absl::InvalidArgumentError(
        StrCat(config.config_path, ": [meta.mode] '", config.meta_mode, "' is not supported"));
  }
  return read;
}

Result<OpenedSource> OpenSource(const MigrationConfig& config) {
  if (config.work_mode == "faiss") return OpenFaissSource(config);
  if (config.work_mode == "milvus1x") return OpenMilvus1xSource(config);
  if (config.work_mode == "elasticsearch") return OpenElasticsearchSource(config);
  return absl::InvalidArgumentError(
      StrCat("[dumper.worker.workMode] '", config.work_mode, "' is not supported"));
}

Result<std::unique_ptr<Storage>> OpenOutputStorage(const MigrationConfig& config) {
  if (config.target_mode == "local") {
    ASSIGN_OR_RETURN(auto storage, LocalStorage::Open(config.output_dir));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  ASSIGN_OR_RETURN(auto storage, S3Storage::Open(ToS3Options(config, config.target_remote,
                                                              "target.remote",
                                                              config.output_dir)));
  return std::unique_ptr<Storage>(std::move(storage));
}

Result<std::unique_ptr<MilvusClient>> ConnectMilvus(const MigrationConfig& config) {
  // Only load and start need Milvus; dump runs without it.
  if (config.milvus_endpoint.empty()) {
    return absl::InvalidArgumentError(
        StrCat(config.config_path, ": [target.milvus2x.endpoint] must be set (host:port)"));
  }
  MilvusOptions options;
  options.endpoint = config.milvus_endpoint;
  options.username = config.milvus_username;
  options.password = config.milvus_password;
  options.database = config.milvus_database;
  options.retry_budget_s = config.retry_budget_s;
  return MilvusClient::Connect(options);
}

}  // namespace mm
