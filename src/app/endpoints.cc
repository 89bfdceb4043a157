#include "app/endpoints.h"

#include "sources/faiss/faiss_source.h"
#include "storage/local_storage.h"
#include "storage/s3_storage.h"

namespace mm {
namespace {

S3Options ToS3Options(const RemoteConfig& r, std::string prefix, int64_t writer_buffer_kb) {
  S3Options o;
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

Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& config,
                                                         const std::string& path) {
  if (config.source_mode == "local") {
    ASSIGN_OR_RETURN(auto file, OpenLocalFile(path));
    return std::shared_ptr<RandomAccessFile>(std::move(file));
  }
  ASSIGN_OR_RETURN(auto bucket, S3Storage::Open(ToS3Options(config.source_remote, "",
                                                            config.writer_buffer_kb)));
  ASSIGN_OR_RETURN(auto file, bucket->OpenRead(path));
  // The file reads through the bucket's client: keep both alive together.
  std::shared_ptr<Storage> owner(std::move(bucket));
  RandomAccessFile* raw = file.release();
  return std::shared_ptr<RandomAccessFile>(raw, [owner](RandomAccessFile* f) { delete f; });
}

}  // namespace

Result<OpenedSource> OpenSource(const MigrationConfig& config) {
  if (config.work_mode != "faiss") {
    return absl::InvalidArgumentError(
        StrCat("[dumper.worker.workMode] '", config.work_mode, "' is not supported"));
  }
  ASSIGN_OR_RETURN(auto file, OpenSourceFile(config, config.faiss_file));
  FaissSourceOptions options;
  options.collection = config.collection;
  options.dim = config.dim;
  options.metric_type = config.metric_type;
  options.shards_num = config.shards_num;
  options.batch_bytes = std::max<int64_t>(config.reader_buffer_kb, 64) << 10;
  OpenedSource opened;
  opened.id = StrCat("faiss:", file->name(), " (", file->Size(), " bytes)");
  ASSIGN_OR_RETURN(opened.source, FaissSource::Open(file, options));
  return opened;
}

Result<std::unique_ptr<Storage>> OpenOutputStorage(const MigrationConfig& config) {
  if (config.target_mode == "local") {
    ASSIGN_OR_RETURN(auto storage, LocalStorage::Open(config.output_dir));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  ASSIGN_OR_RETURN(auto storage, S3Storage::Open(
                                    ToS3Options(config.target_remote, config.output_dir,
                                                config.writer_buffer_kb)));
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
  return MilvusClient::Connect(options);
}

}  // namespace mm
