// The whole stream in one file (docs/architecture.md draws it):
//   config -> OpenSource (the source kind's opener) -> RunDump: Source::Plan -> tasks ->
//   BatchReader -> RowValidator -> PartWriter -> Storage, checkpointed in manifest.json ->
//   RunLoad: the Sink (bulk import) -> Milvus,
// each command holding the output's migration.lock (WithOutputLock) from start to end.
#include "app/migration.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_split.h"
#include "app/endpoints.h"
#include "app/run_report.h"
#include "core/redact.h"
#include "pipeline/dump_job.h"
#include "pipeline/import_sink.h"
#include "pipeline/insert_sink.h"
#include "pipeline/load_job.h"
#include "pipeline/output_lock.h"
#include "pipeline/sink.h"
#include "sources/registry.h"
#include "verify/verifier.h"

namespace mm {
namespace {

// The Milvus a checkpoint's load state refers to, without the credentials its endpoint may
// hold (the checkpoint is stored redacted, so comparisons must be too).
std::string LoadTarget(const MigrationConfig& config) {
  return StrCat(RedactUrl(config.milvus_endpoint), "/",
                config.milvus_database.empty() ? "default" : config.milvus_database);
}

// The sink loader.mode asks for: bulk import, or Insert/Upsert (pipeline/insert_sink.h).
// `milvus` must outlive it.
std::unique_ptr<Sink> OpenSink(const MigrationConfig& config, MilvusClient& milvus,
                               RunObserver* observer) {
  LoadOptions options{.target = LoadTarget(config),
                      .workers = config.loader_limit,
                      .import_timeout_s = config.import_timeout_s,
                      .if_exists = config.if_exists,
                      .index_type = config.index_type,
                      .index_params = config.index_params,
                      .load_collection = config.load_collection,
                      .observer = observer};
  // A test hook (see LoadOptions::test_pause_after_submit_ms); never set in real runs.
  if (const char* pause = std::getenv("MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS")) {
    options.test_pause_after_submit_ms = std::atoll(pause);
  }
  if (config.loader_mode != LoaderMode::kImport) {
    InsertOptions insert{.upsert = config.loader_mode == LoaderMode::kUpsert,
                         .send_limit_bytes = config.milvus_max_send_bytes > 0
                                                 ? config.milvus_max_send_bytes
                                                 : kDefaultMilvusSendLimit,
                         .in_flight = 2};
    return std::make_unique<InsertSink>(&milvus, std::move(options), insert);
  }
  return std::make_unique<ImportSink>(&milvus, std::move(options));
}

// Before anything is read: a bulk-import load needs a target that has bulk import (Milvus
// Lite has none).
Status CheckLoaderMode(const MigrationConfig& config, MilvusClient& milvus) {
  if (config.loader_mode != LoaderMode::kImport) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool bulk_import, milvus.SupportsBulkImport());
  if (bulk_import) return absl::OkStatus();
  return absl::FailedPreconditionError(StrCat(
      config.config_path, ": [loader.mode] import: the target Milvus at ", milvus.endpoint(),
      " has no bulk import (Milvus Lite has none); set loader.mode: insert (or upsert)"));
}

// Source -> parts in `output`. `sink` (may be null: dump alone) checks the target
// collections before the dump reads anything, and a sink that takes parts loads each one as
// soon as the dump checkpointed it (Sink::BeginParts), through `store`, which the load
// after the dump must then share.
Status DumpWith(const MigrationConfig& config, Storage& output, RunObserver* observer,
                Sink* sink = nullptr, ManifestStore* shared_store = nullptr) {
  const bool batches = sink != nullptr && sink->input() == SinkInput::kBatches;
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  ManifestStore own_store(&output);
  ManifestStore& store = shared_store != nullptr ? *shared_store : own_store;
  DumpOptions options{.workers = config.dumper_limit,
                      .part_bytes = static_cast<uint64_t>(config.part_size_mb) << 20,
                      .source_kind = config.work_mode,
                      .source_id = source.id,
                      .invalid_rows = config.skip_invalid_rows ? InvalidRows::kSkip
                                                               : InvalidRows::kFail,
                      .max_invalid_ratio = config.max_invalid_ratio,
                      .observer = observer};
  if (batches) {
    options.batch_sink = sink;
    // Checkpoints every few requests (8 requests' worth of batches).
    options.flush_bytes = static_cast<uint64_t>(
        8 * RequestBytes(config.milvus_max_send_bytes > 0 ? config.milvus_max_send_bytes
                                                          : kDefaultMilvusSendLimit));
  }
  if (sink != nullptr) {
    options.check_plans = [&](const std::vector<CollectionPlan>& plans) {
      return sink->CheckTargets(output, source.id, plans);
    };
  }
  // A test hook (see DumpOptions::test_pause_after_checkpoint_ms); never set in real runs.
  if (const char* pause = std::getenv("MM_TEST_DUMP_PAUSE_AFTER_PART_MS")) {
    options.test_pause_after_checkpoint_ms = std::atoll(pause);
  }
  const bool load_while_dumping = sink != nullptr && sink->input() == SinkInput::kParts;
  if (load_while_dumping) {
    options.on_plan_checkpointed = [&](const std::vector<CollectionPlan>& plans) {
      // Only parts that no rerun dumps again can go to Milvus before the dump ends.
      std::vector<bool> streamable;
      for (const auto& plan : plans) streamable.push_back(plan.tasks_resumable);
      return sink->BeginParts(output, store, std::move(streamable));
    };
    options.on_checkpointed = [&] { return sink->PartsCheckpointed(); };
  }
  if (batches) {
    spdlog::info("load: {} -> milvus {} by {} (loader.mode), checkpoint in {}", source.id,
                 RedactUrl(config.milvus_endpoint), sink->kind(), output.Describe());
  } else {
    spdlog::info("dump: {} -> {}", source.id, output.Describe());
  }
  Result<DumpSummary> dumped = RunDump(*source.source, output, store, options);
  if (load_while_dumping) {
    Status loaded = sink->EndParts(dumped.status());
    // An import's error stopped the dump: it is the cause.
    if (!loaded.ok()) {
      if (!dumped.ok() && !absl::IsCancelled(dumped.status())) {
        spdlog::warn("dump: {}", std::string(dumped.status().message()));
      }
      return loaded;
    }
  }
  ASSIGN_OR_RETURN(DumpSummary s, std::move(dumped));
  spdlog::info("dump: done: {} rows, {} parts, {:.1f} MB in {:.2f}s ({:.1f} MB/s){}; {}",
               s.rows, s.parts, s.bytes / 1e6, s.seconds,
               s.bytes / 1e6 / std::max(s.seconds, 1e-6),
               s.tasks_skipped ? StrCat(", ", s.tasks_skipped, " task(s) resumed") : "",
               DescribeSkipped(s.skipped));
  return absl::OkStatus();
}

// The checkpoint in `output` as it stands (empty when there is none to read).
Manifest CheckpointOf(Storage& output) {
  ManifestStore store(&output);
  Result<std::optional<Manifest>> m = store.Load();
  return m.ok() && m->has_value() ? **m : Manifest{};
}

// The summary of a dump alone, from the checkpoint it wrote and `observer`.
Status ReportDump(Storage& output, const RunObserver& observer) {
  ManifestStore store(&output);
  ASSIGN_OR_RETURN(std::optional<Manifest> manifest, store.Load());
  if (manifest) PublishRunReport(BuildRunReport("dump", *manifest, observer.Snapshot()), output);
  return absl::OkStatus();
}

// Parts in `output` -> `sink` -> Milvus, then the summary (see run_report.h) as `command`,
// then the dumped files go if loader.cleanup asks (report.json stays).
Status LoadWith(const MigrationConfig& config, Storage& output, Sink& sink,
                const char* command, const RunObserver& observer,
                ManifestStore* shared_store = nullptr) {
  ManifestStore own_store(&output);
  ManifestStore& store = shared_store != nullptr ? *shared_store : own_store;
  ASSIGN_OR_RETURN(LoadSummary s, RunLoad(sink, output, store));
  const RunReport report = BuildRunReport(command, store.Snapshot(), observer.Snapshot());
  // Rows the dump left out, once more on the last line of a `start`.
  std::vector<std::pair<std::string, SkippedRows>> skipped;
  store.Read([&](const Manifest& m) {
    for (const auto& c : m.collections) {
      if (c.skipped.count() > 0) skipped.emplace_back(c.schema.collection, c.skipped);
    }
  });
  spdlog::info("load: done: {} rows in {} part(s) imported in {:.2f}s{}; the dump: {}",
               s.rows, s.parts, s.seconds,
               s.parts_skipped ? StrCat(", ", s.parts_skipped, " part(s) imported earlier") : "",
               DescribeSkipped(skipped));
  if (config.cleanup) {
    spdlog::info("load: deleting the dumped files in {} (loader.cleanup)", output.Describe());
    // Everything but the lock, which this run still holds (and releases at its end).
    ASSIGN_OR_RETURN(std::vector<FileInfo> files, output.List(""));
    std::set<std::string> folders;
    for (const auto& f : files) {
      const size_t slash = f.path.find('/');
      if (slash != std::string::npos) {
        folders.insert(f.path.substr(0, slash));
      } else if (f.path != OutputLock::kFileName) {
        RETURN_IF_ERROR(output.Delete(f.path));
      }
    }
    for (const auto& folder : folders) RETURN_IF_ERROR(output.DeletePrefix(folder));
  }
  PublishRunReport(report, output);
  return absl::OkStatus();
}

// One run per output: runs `body` holding the output's migration.lock, taken before
// anything in the output is read or deleted and released however `body` ends. A lock lost
// meanwhile (taken over by another run) stops the run and is its error.
template <typename Body>
Status WithOutputLock(const MigrationConfig& config, Storage& output, const char* command,
                      Body&& body) {
  ASSIGN_OR_RETURN(std::chrono::seconds lease, LockLeaseFromEnvironment());
  ASSIGN_OR_RETURN(std::unique_ptr<OutputLock> lock,
                   OutputLock::Acquire(&output, OutputLockOptions{.command = command,
                                                                  .lease = lease,
                                                                  .force = config.force_unlock}));
  Status st = body();
  Status lost = lock->lost();
  Status released = lock->Release();
  if (!lost.ok()) return lost;
  if (!released.ok()) {
    spdlog::warn("could not release the output lock: {}", std::string(released.message()));
  }
  return st;
}

Status WriteReportFile(const std::string& path, const std::string& json) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json << "\n";
  out.close();
  if (!out) {
    return absl::PermissionDeniedError(
        StrCat("verify: could not write the report to '", path, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

Status Verify(const MigrationConfig& config, const VerifyRequest& request) {
  return Verify(config, request, RunHooks{});
}

Status Verify(const MigrationConfig& config, const VerifyRequest& request,
              const RunHooks& hooks) {
  ScopedRunCancellation cancel(hooks.cancel);
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  VerifyOptions options{.sample_percent = request.sample_percent,
                        .seed = request.seed,
                        .source_workers = config.dumper_limit,
                        .target_workers = config.loader_limit,
                        .invalid_rows = config.skip_invalid_rows ? InvalidRows::kSkip
                                                                 : InvalidRows::kFail,
                        .observer = hooks.observer};
  // Test hooks (a small cap makes a test reach the partial row-by-row read); never set in
  // real runs.
  if (const char* rows = std::getenv("MM_TEST_VERIFY_DETAIL_ROWS")) {
    options.max_detail_rows = std::atoll(rows);
  }
  // Likewise: small pk ranges, so a small collection is cut into many.
  if (const char* rows = std::getenv("MM_TEST_VERIFY_RANGE_ROWS")) {
    options.max_range_rows = std::atoll(rows);
  }
  spdlog::info("verify: {} against milvus {}", source.id, RedactUrl(config.milvus_endpoint));
  ASSIGN_OR_RETURN(VerifyReport report, RunVerify(*source.source, *milvus, options));
  const std::string json = report.ToJson();
  if (request.report_json != nullptr) *request.report_json = json;
  // Beside manifest.json, so the output says what was proven about it.
  Result<std::unique_ptr<Storage>> output = OpenOutputStorage(config);
  Status stored = output.status();
  if (stored.ok()) {
    Result<std::unique_ptr<WritableFile>> file = (*output)->OpenWrite("verify-report.json");
    stored = file.status();
    if (stored.ok()) stored = (*file)->Append(json);
    if (stored.ok()) stored = (*file)->Close();
  }
  if (!stored.ok()) {
    spdlog::warn("verify: could not store verify-report.json in the output: {}",
                 std::string(stored.message()));
  }
  if (!request.report_file.empty()) RETURN_IF_ERROR(WriteReportFile(request.report_file, json));
  for (const auto& line : absl::StrSplit(report.Summary(), '\n', absl::SkipEmpty())) {
    spdlog::info("{}", std::string(line));
  }
  if (!report.match) {
    return absl::DataLossError(StrCat("verify: Milvus does not hold exactly the source's rows (",
                                      report.source_rows, " in the source, ", report.target_rows,
                                      " in Milvus); see the summary above",
                                      request.report_file.empty()
                                          ? ""
                                          : StrCat(" and ", request.report_file)));
  }
  return absl::OkStatus();
}

Status Dump(const MigrationConfig& config) { return Dump(config, RunHooks{}); }
Status Load(const MigrationConfig& config) { return Load(config, RunHooks{}); }
Status Start(const MigrationConfig& config) { return Start(config, RunHooks{}); }

Status Dump(const MigrationConfig& config, const RunHooks& hooks) {
  ScopedRunCancellation cancel(hooks.cancel);
  RunObserver own;  // the summary's clock when the caller watches nothing
  RunObserver* observer = hooks.observer != nullptr ? hooks.observer : &own;
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  return WithOutputLock(config, *output, "dump", [&]() -> Status {
    RETURN_IF_ERROR(DumpWith(config, *output, observer));
    return ReportDump(*output, *observer);
  });
}

Status Load(const MigrationConfig& config, const RunHooks& hooks) {
  ScopedRunCancellation cancel(hooks.cancel);
  RunObserver own;
  RunObserver* observer = hooks.observer != nullptr ? hooks.observer : &own;
  if (config.loader_mode != LoaderMode::kImport) {
    return absl::InvalidArgumentError(StrCat(
        config.config_path, ": [loader.mode] ", LoaderModeName(config.loader_mode),
        " sends the source's rows as it reads them: run start; `load` takes a dump's "
        "bulk-import files (loader.mode: import)"));
  }
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  RETURN_IF_ERROR(EnsureTargetDatabase(config));
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  RETURN_IF_ERROR(CheckLoaderMode(config, *milvus));
  std::unique_ptr<Sink> sink = OpenSink(config, *milvus, observer);
  return WithOutputLock(config, *output, "load",
                        [&] { return LoadWith(config, *output, *sink, "load", *observer); });
}

Status Start(const MigrationConfig& config, const RunHooks& hooks) {
  ScopedRunCancellation cancel(hooks.cancel);
  RunObserver own;
  RunObserver* observer = hooks.observer != nullptr ? hooks.observer : &own;
  // Fail before the long dump if the target is unreachable.
  RETURN_IF_ERROR(EnsureTargetDatabase(config));
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  RETURN_IF_ERROR(CheckLoaderMode(config, *milvus));
  ASSIGN_OR_RETURN(auto output, OpenOutputStorage(config));
  std::unique_ptr<Sink> sink = OpenSink(config, *milvus, observer);
  // A sink that takes parts loads each part as soon as the dump checkpointed it, then the
  // rest after the dump (the count check, index and load once every part is in); one that
  // takes batches (SinkInput::kBatches) takes the source's batches in the dump's place, and
  // is done when it is. Dump and load share one checkpoint store, as they run at once.
  return WithOutputLock(config, *output, "start", [&]() -> Status {
    ManifestStore store(output.get());
    RETURN_IF_ERROR(DumpWith(config, *output, observer, sink.get(), &store));
    if (sink->input() == SinkInput::kBatches) {
      const Manifest m = CheckpointOf(*output);
      PublishRunReport(BuildRunReport("start", m, observer->Snapshot()), *output);
      int64_t rows = 0;
      for (const auto& c : m.collections) rows += c.total_rows;
      spdlog::info("load: done: {} rows sent by {}", rows, sink->kind());
      return absl::OkStatus();
    }
    return LoadWith(config, *output, *sink, "start", *observer, &store);
  });
}

}  // namespace mm
