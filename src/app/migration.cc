#include "app/migration.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "app/endpoints.h"
#include "pipeline/collection_fit.h"
#include "pipeline/dump_job.h"
#include "pipeline/load_job.h"

namespace mm {
namespace {

std::string LoadTarget(const MigrationConfig& config) {
  return StrCat(config.milvus_endpoint, "/",
                config.milvus_database.empty() ? "default" : config.milvus_database);
}

// For `start`: every target collection must be able to take its rows before the dump reads
// anything (ifExists, the schema of a collection to append to, rows of this migration
// already in it). A collection the checkpoint already holds prepared is the load's to resume.
Status CheckTargets(const MigrationConfig& config, Storage& output, MilvusClient& milvus,
                    const std::string& source_id, const std::vector<CollectionPlan>& plans) {
  ManifestStore store(&output);
  ASSIGN_OR_RETURN(std::optional<Manifest> previous, store.Load());
  const std::string checkpoint = StrCat(output.Describe(), "/", ManifestStore::kFileName);
  for (const auto& plan : plans) {
    bool prepared = false;
    if (previous && previous->source_id == source_id) {
      for (const auto& c : previous->collections) {
        prepared |= c.schema.collection == plan.schema->collection && c.load.prepared &&
                    c.load.target == LoadTarget(config);
      }
    }
    if (prepared) continue;
    RETURN_IF_ERROR(CheckTargetCollection(milvus, *plan.schema,
                                          PlanId(source_id, plan.schema->collection),
                                          config.if_exists, checkpoint));
  }
  return absl::OkStatus();
}

// `milvus` (may be null: dump alone) checks the target collections before the dump starts.
Status DumpWith(const MigrationConfig& config, Storage& output, MilvusClient* milvus = nullptr) {
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  ManifestStore store(&output);
  DumpOptions options{.workers = config.dumper_limit,
                      .part_bytes = static_cast<uint64_t>(config.part_size_mb) << 20,
                      .source_kind = config.work_mode,
                      .source_id = source.id};
  if (milvus != nullptr) {
    options.check_plans = [&](const std::vector<CollectionPlan>& plans) {
      return CheckTargets(config, output, *milvus, source.id, plans);
    };
  }
  spdlog::info("dump: {} -> {}", source.id, output.Describe());
  ASSIGN_OR_RETURN(DumpSummary s, RunDump(*source.source, output, store, options));
  spdlog::info("dump: done: {} rows, {} parts, {:.1f} MB in {:.2f}s ({:.1f} MB/s){}", s.rows,
               s.parts, s.bytes / 1e6, s.seconds, s.bytes / 1e6 / std::max(s.seconds, 1e-6),
               s.tasks_skipped ? StrCat(", ", s.tasks_skipped, " task(s) resumed") : "");
  return absl::OkStatus();
}

Status LoadWith(const MigrationConfig& config, Storage& output, MilvusClient& milvus) {
  ManifestStore store(&output);
  LoadOptions options{.target = LoadTarget(config),
                      .workers = config.loader_limit,
                      .import_timeout_s = config.import_timeout_s,
                      .if_exists = config.if_exists,
                      .index_type = config.index_type,
                      .index_params = config.index_params,
                      .load_collection = config.load_collection};
  // A test hook (see LoadOptions::test_pause_after_submit_ms); never set in real runs.
  if (const char* pause = std::getenv("MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS")) {
    options.test_pause_after_submit_ms = std::atoll(pause);
  }
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
  RETURN_IF_ERROR(DumpWith(config, *output, milvus.get()));
  return LoadWith(config, *output, *milvus);
}

}  // namespace mm
