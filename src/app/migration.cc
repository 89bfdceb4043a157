#include "app/migration.h"

#include <spdlog/spdlog.h>

#include "app/endpoints.h"
#include "core/redact.h"
#include "pipeline/dump_job.h"
#include "pipeline/load_job.h"

namespace mm {
namespace {

Status DumpWith(const MigrationConfig& config, Storage& output) {
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  ManifestStore store(&output);
  DumpOptions options{.workers = config.dumper_limit,
                      .part_bytes = static_cast<uint64_t>(config.part_size_mb) << 20,
                      .source_kind = config.work_mode,
                      .source_id = source.id};
  spdlog::info("dump: {} -> {}", source.id, output.Describe());
  ASSIGN_OR_RETURN(DumpSummary s, RunDump(*source.source, output, store, options));
  spdlog::info("dump: done: {} rows, {} parts, {:.1f} MB in {:.2f}s ({:.1f} MB/s){}", s.rows,
               s.parts, s.bytes / 1e6, s.seconds, s.bytes / 1e6 / std::max(s.seconds, 1e-6),
               s.tasks_skipped ? StrCat(", ", s.tasks_skipped, " task(s) resumed") : "");
  return absl::OkStatus();
}

Status LoadWith(const MigrationConfig& config, Storage& output, MilvusClient& milvus) {
  ManifestStore store(&output);
  // The checkpoint names the Milvus without the credentials its endpoint may hold.
  LoadOptions options{.target = StrCat(RedactUrl(config.milvus_endpoint), "/",
                                      config.milvus_database.empty() ? "default"
                                                                     : config.milvus_database),
                      .workers = config.loader_limit,
                      .import_timeout_s = config.import_timeout_s,
                      .if_exists = config.if_exists,
                      .index_type = config.index_type,
                      .index_params = config.index_params,
                      .load_collection = config.load_collection};
  ASSIGN_OR_RETURN(LoadSummary s, RunLoad(milvus, output, store, options));
  spdlog::info("load: done: {} rows in {} part(s) imported in {:.2f}s{}", s.rows, s.parts,
               s.seconds,
               s.parts_skipped ? StrCat(", ", s.parts_skipped, " part(s) imported earlier") : "");
  if (config.cleanup) {
    spdlog::info("load: deleting the dumped files in {} (loader.cleanup)", output.Describe());
    RETURN_IF_ERROR(output.DeletePrefix(""));
  }
  return absl::OkStatus();
}

}  // namespace

Status Dump(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  return DumpWith(config, *output);
}

Status Load(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  return LoadWith(config, *output, *milvus);
}

Status Start(const MigrationConfig& config) {
  // Fail before the long dump if the target is unreachable.
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  RETURN_IF_ERROR(DumpWith(config, *output));
  return LoadWith(config, *output, *milvus);
}

}  // namespace mm
