#include "config/migration_config.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_join.h"
#include "config/config_limits.h"
#include "config/config_reader.h"

namespace mm {
namespace {

Status ReadRemote(const ConfigReader& r, const std::string& prefix, RemoteConfig* out) {
  RETURN_IF_ERROR(r.Get(prefix + ".cloud", &out->cloud));
  RETURN_IF_ERROR(r.Get(prefix + ".endpoint", &out->endpoint));
  RETURN_IF_ERROR(r.Get(prefix + ".region", &out->region));
  RETURN_IF_ERROR(r.Get(prefix + ".bucket", &out->bucket));
  RETURN_IF_ERROR(r.Get(prefix + ".ak", &out->ak));
  RETURN_IF_ERROR(r.Get(prefix + ".sk", &out->sk));
  RETURN_IF_ERROR(r.Get(prefix + ".useIAM", &out->use_iam));
  RETURN_IF_ERROR(r.Get(prefix + ".useSSL", &out->use_ssl));
  RETURN_IF_ERROR(r.Get(prefix + ".checkBucket", &out->check_bucket));
  return absl::OkStatus();
}

Status ValidateRemote(const ConfigReader& r, const std::string& prefix, const RemoteConfig& rc) {
  if (rc.endpoint.empty()) return r.Invalid(prefix + ".endpoint", "must be set (host:port)");
  if (rc.bucket.empty()) return r.Invalid(prefix + ".bucket", "must be set");
  if (rc.cloud != "aws" && rc.cloud != "minio" && rc.cloud != "s3") {
    return r.Invalid(prefix + ".cloud", StrCat("'", rc.cloud,
                                               "' is not supported yet; expected aws (any "
                                               "S3-compatible store, MinIO included)"));
  }
  if (!rc.use_iam && (rc.ak.empty() || rc.sk.empty())) {
    return r.Invalid(prefix + ".ak", "and .sk must be set unless useIAM is true");
  }
  return absl::OkStatus();
}

// meta.* as the Go tool reads it, and its older spelling under source.local.meta.*.
Status ReadMilvus1xSource(const ConfigReader& r, MigrationConfig* c) {
  const std::string tables_key = "source." + c->source_mode + ".tablesDir";
  if (c->tables_dir.empty()) {
    return r.Invalid(tables_key, "must name the Milvus 1.x tables directory (<milvus>/db/tables)");
  }
  const bool legacy = !r.Has("meta.mode") && r.Has("source.local.meta.mode");
  const std::string prefix = legacy ? "source.local.meta." : "meta.";
  RETURN_IF_ERROR(r.Get(prefix + "mode", &c->meta_mode));
  if (c->meta_mode.empty() && c->source_mode == "remote" && r.Has("source.remote.metaFile")) {
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
    if (c->meta_mode == "remote" && c->source_mode != "remote") {
      return r.Invalid("meta.mode", "remote reads the meta.json from source.remote's bucket, "
                                    "so it needs source.mode: remote");
    }
    if (c->meta_mode == "mock") c->meta_mode = "local";
    return absl::OkStatus();
  }
  return r.Invalid(prefix + "mode", StrCat("expected sqlite, mysql, local or remote, got '",
                                           c->meta_mode, "'"));
}

// Keys the Go tool's samples and docs write that this tool accepts without reading, each with
// its whole subtree. They are not typos, so they must not warn (nor fail under --strict).
const std::vector<std::string>& DeliberatelyIgnoredKeys() {
  static const std::vector<std::string> keys = {
      // Only the block of the chosen source.mode / target.mode is read; the samples keep the
      // other one filled in.
      "source.local.faissFile", "source.local.tablesDir", "source.remote.faissFile",
      "source.remote.tablesDir", "source.remote.metaFile", "target.local.outputDir",
      "target.remote.outputDir",
      // The source's version: we read it from the data itself.
      "meta.version",
  };
  return keys;
}

std::string TrimLeadingSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  return s;
}

}  // namespace

Result<MigrationConfig> ParseMigrationConfig(const std::string& yaml_text,
                                             const std::string& path, bool strict) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(path, ": not valid YAML: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(StrCat(path, ": expected a YAML mapping at the top"));
  }
  ConfigReader r(root, path);
  MigrationConfig c;
  c.config_path = path;

  // Every number is range-checked as it is read, so no later arithmetic (KB to bytes,
  // seconds to a deadline) can overflow; the bounds are in the README.
  RETURN_IF_ERROR(r.Get("dumper.worker.workMode", &c.work_mode));
  // Values are case-insensitive too: the Zilliz blog writes `workMode: FAISS`.
  const std::string work_mode_as_written = c.work_mode;
  for (char& ch : c.work_mode) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.limit", &c.dumper_limit, 1, kMaxWorkers));
  // S3 refuses upload parts over 5 GiB.
  RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.writer.bufferSize", &c.writer_buffer_kb, 1,
                                  int64_t{5} << 20, "KB"));
  // Milvus refuses import files over 16 GiB; a part holds one file per field.
  RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.partSizeMB", &c.part_size_mb, 1, 16 * 1024,
                                  "MB"));
  std::string invalid_rows = "fail";
  RETURN_IF_ERROR(r.Get("dumper.invalidRows", &invalid_rows));
  if (invalid_rows != "fail" && invalid_rows != "skip") {
    return r.Invalid("dumper.invalidRows",
                     StrCat("expected fail or skip, got '", invalid_rows, "'"));
  }
  c.skip_invalid_rows = invalid_rows == "skip";
  if (r.Has("dumper.maxInvalidRatio")) {
    RETURN_IF_ERROR(r.Get("dumper.maxInvalidRatio", &c.max_invalid_ratio));
    if (!(c.max_invalid_ratio >= 0 && c.max_invalid_ratio <= 1)) {
      return r.Invalid("dumper.maxInvalidRatio",
                       StrCat("must be between 0 and 1, got ", c.max_invalid_ratio));
    }
  }
  RETURN_IF_ERROR(r.GetIntInRange("loader.worker.limit", &c.loader_limit, 1, kMaxWorkers));
  RETURN_IF_ERROR(r.GetIntInRange("loader.import.timeoutSeconds", &c.import_timeout_s, 1,
                                  kMaxImportTimeoutS, "seconds"));
  RETURN_IF_ERROR(r.GetIntInRange("retry.budgetSeconds", &c.retry_budget_s, 1,
                                  kMaxRetryBudgetS, "seconds"));
  RETURN_IF_ERROR(r.Get("loader.cleanup", &c.cleanup));

  RETURN_IF_ERROR(r.Get("source.mode", &c.source_mode));
  RETURN_IF_ERROR(ReadRemote(r, "source.remote", &c.source_remote));
  RETURN_IF_ERROR(r.Get("target.mode", &c.target_mode));
  RETURN_IF_ERROR(ReadRemote(r, "target.remote", &c.target_remote));
  RETURN_IF_ERROR(r.Get("target.milvus2x.endpoint", &c.milvus_endpoint));
  RETURN_IF_ERROR(r.Get("target.milvus2x.username", &c.milvus_username));
  RETURN_IF_ERROR(r.Get("target.milvus2x.password", &c.milvus_password));
  RETURN_IF_ERROR(r.Get("target.milvus2x.database", &c.milvus_database));
  RETURN_IF_ERROR(r.Get("target.create.collection.name", &c.collection));
  RETURN_IF_ERROR(r.GetIntInRange("target.create.collection.shardsNum", &c.shards_num, 0,
                                  kMaxShards));
  RETURN_IF_ERROR(r.GetIntInRange("target.create.collection.dim", &c.dim, 0, kMaxDim));
  RETURN_IF_ERROR(r.Get("target.create.collection.metricType", &c.metric_type));
  RETURN_IF_ERROR(r.Get("target.create.index.type", &c.index_type));
  RETURN_IF_ERROR(r.Get("target.create.index.params", &c.index_params));
  RETURN_IF_ERROR(r.Get("target.create.loadCollection", &c.load_collection));
  if (c.load_collection && c.index_type.empty()) {
    return r.Invalid("target.create.loadCollection",
                     "needs target.create.index.type: Milvus loads only indexed collections");
  }
  std::string if_exists = "fail";
  RETURN_IF_ERROR(r.Get("target.create.collection.ifExists", &if_exists));

  // Sources. workMode is optional for us: a faissFile names the FAISS source, a tablesDir
  // or meta.mode a Milvus 1.x one.
  if (c.source_mode != "local" && c.source_mode != "remote") {
    return r.Invalid("source.mode", StrCat("expected local or remote, got '", c.source_mode, "'"));
  }
  const std::string faiss_key = "source." + c.source_mode + ".faissFile";
  const std::string tables_key = "source." + c.source_mode + ".tablesDir";
  RETURN_IF_ERROR(r.Get(faiss_key, &c.faiss_file));
  RETURN_IF_ERROR(r.Get(tables_key, &c.tables_dir));
  if (c.work_mode.empty() && !c.faiss_file.empty()) c.work_mode = "faiss";
  if (c.work_mode.empty() && r.Has("source.es")) c.work_mode = "elasticsearch";
  if (c.work_mode.empty() && (!c.tables_dir.empty() || r.Has("meta.mode"))) {
    c.work_mode = "milvus1x";
  }
  if (c.work_mode.empty()) {
    return r.Invalid("dumper.worker.workMode", "must be set (faiss, milvus1x or elasticsearch)");
  }
  // For Elasticsearch the Go tool reads reader.bufferSize as documents a page, not KB.
  if (c.work_mode == "elasticsearch") {
    RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.reader.bufferSize", &c.reader_buffer_kb, 1,
                                    kMaxEsPageDocs, "documents a page"));
  } else {
    RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.reader.bufferSize", &c.reader_buffer_kb, 1,
                                    int64_t{1} << 20, "KB"));
  }
  if (c.work_mode == "faiss") {
    if (c.faiss_file.empty()) return r.Invalid(faiss_key, "must name the FAISS index file");
    RETURN_IF_ERROR(r.Get("source.faiss.allowTrailingBytes", &c.faiss_allow_trailing_bytes));
  } else if (c.work_mode == "milvus1x") {
    RETURN_IF_ERROR(ReadMilvus1xSource(r, &c));
  } else if (c.work_mode == "elasticsearch") {
    RETURN_IF_ERROR(ReadElasticsearchConfig(r, &c.es));
    // meta.invalidDocs is ES's older name for dumper.invalidRows: either sets both.
    if (r.Has("meta.invalidDocs") && r.Has("dumper.invalidRows") &&
        c.es.skip_invalid_docs != c.skip_invalid_rows) {
      return r.Invalid("dumper.invalidRows",
                       "and [meta.invalidDocs] disagree; they are the same setting: set one");
    }
    if (r.Has("meta.invalidDocs")) c.skip_invalid_rows = c.es.skip_invalid_docs;
    c.es.skip_invalid_docs = c.skip_invalid_rows;
    if (r.Has("dumper.worker.reader.bufferSize")) c.es.batch_docs = c.reader_buffer_kb;
    if (c.es.slices == 0) c.es.slices = c.dumper_limit;
  } else {
    return r.Invalid("dumper.worker.workMode",
                     StrCat("'", work_mode_as_written, "' is not supported by this build; expected "
                            "faiss, milvus1x or elasticsearch"));
  }
  if (c.source_mode == "remote") RETURN_IF_ERROR(ValidateRemote(r, "source.remote", c.source_remote));


  // Target.
  if (c.target_mode == "local") {
    std::string dir;
    RETURN_IF_ERROR(r.Get("target.local.outputDir", &dir));
    if (dir.empty()) return r.Invalid("target.local.outputDir", "must be set");
    // Milvus opens local import files by absolute path.
    c.output_dir = (std::filesystem::absolute(dir) / "migration").lexically_normal().string();
  } else if (c.target_mode == "remote") {
    RETURN_IF_ERROR(ValidateRemote(r, "target.remote", c.target_remote));
    std::string dir;
    RETURN_IF_ERROR(r.Get("target.remote.outputDir", &dir));
    dir = TrimLeadingSlashes(dir);
    while (!dir.empty() && dir.back() == '/') dir.pop_back();
    c.output_dir = dir.empty() ? "migration" : dir + "/migration";
  } else {
    return r.Invalid("target.mode", StrCat("expected local or remote, got '", c.target_mode, "'"));
  }

  // A 1.x instance names its own collections; the Go tool ignores this key there too.
  if (c.collection.empty() && c.work_mode == "faiss") {
    return r.Invalid("target.create.collection.name", "must be set");
  }
  RETURN_IF_ERROR(r.Get("target.create.collection.nameMap", &c.collection_name_map));
  RETURN_IF_ERROR(r.Get("target.create.partition.nameMap", &c.partition_name_map));
  static const char* kMetrics[] = {"", "L2", "IP", "COSINE", "HAMMING", "JACCARD",
                                   "TANIMOTO", "SUBSTRUCTURE", "SUPERSTRUCTURE"};
  bool metric_ok = false;
  for (const char* m : kMetrics) metric_ok |= (c.metric_type == m);
  if (!metric_ok) {
    return r.Invalid("target.create.collection.metricType",
                     StrCat("'", c.metric_type, "' is not a metric; expected L2, IP, COSINE, "
                            "HAMMING or JACCARD"));
  }
  if (if_exists == "fail") {
    c.if_exists = IfCollectionExists::kFail;
  } else if (if_exists == "append") {
    c.if_exists = IfCollectionExists::kAppend;
  } else if (if_exists == "recreate") {
    c.if_exists = IfCollectionExists::kRecreate;
  } else {
    return r.Invalid("target.create.collection.ifExists",
                     StrCat("expected fail, append or recreate, got '", if_exists, "'"));
  }

  // Every key has been asked for by now: what is left in the file nobody reads.
  RETURN_IF_ERROR(r.DuplicateKeys());
  const std::vector<std::string> unknown = r.UnknownKeys(DeliberatelyIgnoredKeys());
  if (strict && !unknown.empty()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": ", absl::StrJoin(unknown, "; "), "; --strict refuses unknown keys"));
  }
  for (const std::string& message : unknown) spdlog::warn("{}: {}, ignored", path, message);
  return c;
}

Result<MigrationConfig> LoadMigrationConfig(const std::string& path, bool strict) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(StrCat("config file ", path,
                                      " not found (give --config PATH, or put it at "
                                      "configs/migration.yaml)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseMigrationConfig(ss.str(), path, strict);
}

}  // namespace mm
