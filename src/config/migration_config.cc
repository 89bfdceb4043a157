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
#include "sources/registry.h"
#include "storage/cloud_endpoint.h"
#include "storage/storage_from_config.h"

namespace mm {
namespace {

std::string TrimLeadingSlashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  return s;
}

}  // namespace

Status ReadRemoteConfig(const ConfigReader& r, const std::string& prefix, RemoteConfig* out) {
  RETURN_IF_ERROR(r.Get(prefix + ".cloud", &out->cloud));
  RETURN_IF_ERROR(r.Get(prefix + ".endpoint", &out->endpoint));
  RETURN_IF_ERROR(r.Get(prefix + ".addressing", &out->addressing));
  RETURN_IF_ERROR(r.Get(prefix + ".region", &out->region));
  RETURN_IF_ERROR(r.Get(prefix + ".bucket", &out->bucket));
  RETURN_IF_ERROR(r.Get(prefix + ".ak", &out->ak));
  RETURN_IF_ERROR(r.Get(prefix + ".sk", &out->sk));
  RETURN_IF_ERROR(r.Get(prefix + ".useIAM", &out->use_iam));
  RETURN_IF_ERROR(r.Get(prefix + ".useSSL", &out->use_ssl));
  RETURN_IF_ERROR(r.Get(prefix + ".checkBucket", &out->check_bucket));
  return absl::OkStatus();
}

Status CheckRemoteConfig(const ConfigReader& r, const std::string& prefix,
                         const RemoteConfig& rc) {
  if (IsAzureCloud(rc.cloud)) {
    // The endpoint defaults to https://<ak>.blob.core.windows.net; ak names the account
    // even with useIAM.
    if (rc.bucket.empty()) return r.Invalid(prefix + ".bucket", "must be set (the container)");
    if (rc.ak.empty()) return r.Invalid(prefix + ".ak", "must be set (the storage account)");
    if (!rc.use_iam && rc.sk.empty()) {
      return r.Invalid(prefix + ".sk",
                       "must be set (the account key or a SAS token) unless useIAM is true");
    }
    return absl::OkStatus();
  }
  if (rc.bucket.empty()) return r.Invalid(prefix + ".bucket", "must be set");
  if (!IsS3Cloud(rc.cloud)) {
    return r.Invalid(prefix + ".cloud", StrCat("'", rc.cloud, "' is not a known cloud; expected ",
                                               "one of ", AcceptedS3Clouds(),
                                               ", azure or az"));
  }
  if (rc.endpoint.empty() && (rc.cloud == "minio" || rc.cloud == "s3")) {
    return r.Invalid(prefix + ".endpoint", "must be set (host:port) for cloud " + rc.cloud);
  }
  if (!rc.addressing.empty() && rc.addressing != "path" && rc.addressing != "virtual") {
    return r.Invalid(prefix + ".addressing",
                     StrCat("'", rc.addressing, "' is not a style; expected path or virtual"));
  }
  if (rc.endpoint.empty() && rc.region.empty() && (rc.cloud == "ali" || rc.cloud == "tc")) {
    return r.Invalid(prefix + ".region",
                     "must be set for cloud " + rc.cloud + " unless endpoint is");
  }
  if (!rc.use_iam && (rc.ak.empty() || rc.sk.empty())) {
    return r.Invalid(prefix + ".ak", "and .sk must be set unless useIAM is true");
  }
  return absl::OkStatus();
}

const char* LoaderModeName(LoaderMode mode) {
  switch (mode) {
    case LoaderMode::kImport:
      return "import";
    case LoaderMode::kInsert:
      return "insert";
    case LoaderMode::kUpsert:
      return "upsert";
  }
  return "import";
}

Status ReadReaderBufferKb(const ConfigReader& r, MigrationConfig* shared) {
  return r.GetIntInRange("dumper.worker.reader.bufferSize", &shared->reader_buffer_kb, 1,
                         int64_t{1} << 20, "KB");
}

namespace {

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

  RETURN_IF_ERROR(r.Get("target.mode", &c.target_mode));
  RETURN_IF_ERROR(ReadRemoteConfig(r, "target.remote", &c.target_remote));
  RETURN_IF_ERROR(r.Get("target.milvus2x.endpoint", &c.milvus_endpoint));
  RETURN_IF_ERROR(r.Get("target.milvus2x.username", &c.milvus_username));
  RETURN_IF_ERROR(r.Get("target.milvus2x.password", &c.milvus_password));
  RETURN_IF_ERROR(r.Get("target.milvus2x.database", &c.milvus_database));
  RETURN_IF_ERROR(r.GetIntInRange("target.milvus2x.grpc.maxCallSendMsgSize",
                                  &c.milvus_max_send_bytes, 1 << 20, int64_t{2047} << 20,
                                  "bytes"));
  RETURN_IF_ERROR(r.GetIntInRange("target.milvus2x.grpc.maxCallRecvMsgSize",
                                  &c.milvus_max_recv_bytes, 1 << 20, int64_t{2047} << 20,
                                  "bytes"));
  RETURN_IF_ERROR(r.Get("target.create.collection.name", &c.collection));
  RETURN_IF_ERROR(r.GetIntInRange("target.create.collection.shardsNum", &c.shards_num, 0,
                                  kMaxShards));
  RETURN_IF_ERROR(r.GetIntInRange("target.create.collection.dim", &c.dim, 0, kMaxDim));
  RETURN_IF_ERROR(r.Get("target.create.collection.metricType", &c.metric_type));
  RETURN_IF_ERROR(r.Get("target.create.index.type", &c.index_type));
  RETURN_IF_ERROR(r.Get("target.create.index.params", &c.index_params));
  RETURN_IF_ERROR(r.Get("target.create.loadCollection", &c.load_collection));
  std::string if_exists = "fail";
  RETURN_IF_ERROR(r.Get("target.create.collection.ifExists", &if_exists));

  // The source. workMode is optional for us: the keys present name the kind (a faissFile
  // FAISS, a tablesDir or meta.mode Milvus 1.x, a source.es section Elasticsearch).
  // source.mode names the section (source.local / source.remote) the file-based kinds read
  // and recognise; checked here for every kind, as before the kinds had their own parsers.
  std::string source_mode = "local";
  RETURN_IF_ERROR(r.Get("source.mode", &source_mode));
  if (source_mode != "local" && source_mode != "remote") {
    return r.Invalid("source.mode", StrCat("expected local or remote, got '", source_mode, "'"));
  }
  const SourceKind* kind = nullptr;
  if (c.work_mode.empty()) {
    kind = RecogniseSourceKind(r, c);
    if (kind == nullptr) {
      return r.Invalid("dumper.worker.workMode", StrCat("must be set (", SourceKindNames(), ")"));
    }
    c.work_mode = kind->work_mode;
  } else {
    kind = FindSourceKind(c.work_mode);
    if (kind == nullptr) {
      return r.Invalid("dumper.worker.workMode",
                       StrCat("'", work_mode_as_written, "' is not supported by this build; "
                              "expected ", SourceKindNames()));
    }
  }
  ASSIGN_OR_RETURN(c.source, kind->parse(r, &c));
  // A Milvus 2.x source brings its own indexes.
  if (c.load_collection && c.index_type.empty() && c.work_mode != "milvus2x") {
    return r.Invalid("target.create.loadCollection",
                     "needs target.create.index.type: Milvus loads only indexed collections");
  }

  // How the rows are loaded: loader.mode is ours (import | insert | upsert); writeMode is the
  // Go tool's (insert | upsert, for its 2.x -> 2.x copy, which always inserts). Either names
  // the mode; both must agree.
  std::string loader_mode, write_mode;
  RETURN_IF_ERROR(r.Get("loader.mode", &loader_mode));
  RETURN_IF_ERROR(r.Get("target.milvus2x.writeMode", &write_mode));
  for (std::string* v : {&loader_mode, &write_mode}) {
    for (char& ch : *v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (!loader_mode.empty() && loader_mode != "import" && loader_mode != "insert" &&
      loader_mode != "upsert") {
    return r.Invalid("loader.mode",
                     StrCat("expected import, insert or upsert, got '", loader_mode, "'"));
  }
  if (!write_mode.empty() && write_mode != "insert" && write_mode != "upsert") {
    return r.Invalid("target.milvus2x.writeMode",
                     StrCat("expected insert or upsert, got '", write_mode, "'"));
  }
  if (!loader_mode.empty() && !write_mode.empty() && loader_mode != write_mode) {
    return r.Invalid("target.milvus2x.writeMode",
                     StrCat("'", write_mode, "' contradicts loader.mode '", loader_mode,
                            "': give one of them, or the same mode in both"));
  }
  const std::string mode = !loader_mode.empty() ? loader_mode : write_mode;
  if (mode.empty()) {
    c.loader_mode = kind->default_loader_mode;
  } else {
    c.loader_mode = mode == "import"   ? LoaderMode::kImport
                    : mode == "insert" ? LoaderMode::kInsert
                                       : LoaderMode::kUpsert;
  }

  // Target.
  if (c.target_mode == "local") {
    std::string dir;
    RETURN_IF_ERROR(r.Get("target.local.outputDir", &dir));
    if (dir.empty()) return r.Invalid("target.local.outputDir", "must be set");
    // Milvus opens local import files by absolute path.
    c.output_dir = (std::filesystem::absolute(dir) / "migration").lexically_normal().string();
  } else if (c.target_mode == "remote") {
    RETURN_IF_ERROR(CheckRemoteConfig(r, "target.remote", c.target_remote));
    std::string dir;
    RETURN_IF_ERROR(r.Get("target.remote.outputDir", &dir));
    dir = TrimLeadingSlashes(dir);
    while (!dir.empty() && dir.back() == '/') dir.pop_back();
    c.output_dir = dir.empty() ? "migration" : dir + "/migration";
  } else {
    return r.Invalid("target.mode", StrCat("expected local or remote, got '", c.target_mode, "'"));
  }

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
