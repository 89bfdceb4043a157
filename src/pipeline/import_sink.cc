#include "pipeline/import_sink.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/cancellation.h"
#include "pipeline/collection_fit.h"
#include "pipeline/parallel_for.h"

namespace mm {
namespace {

using Clock = std::chrono::steady_clock;

struct PartRef {
  size_t collection;
  PartInfo part;
};

}  // namespace

// The checkpoint's load state is for resuming a load into the same Milvus. A load into
// another Milvus, a collection that has vanished since (dropped by hand), or a completed
// load with ifExists: recreate start the load over, ifExists included.
Status ResetStaleLoadState(MilvusClient& milvus, ManifestStore& store, size_t index,
                           const LoadOptions& options) {
  const CollectionManifest cm = store.Snapshot().collections[index];
  const LoadState& state = cm.load;
  const std::string& name = cm.schema.collection;
  std::string why;
  if (state.target != options.target) {
    if (state.prepared) why = StrCat("it was loaded into ", state.target, " before");
  } else if (state.prepared) {
    ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(name));
    if (!exists) {
      why = "the collection it prepared no longer exists";
    } else if (state.verified && options.if_exists == IfCollectionExists::kRecreate) {
      why = "its last load completed and ifExists is recreate";
    }
  }
  // A verified load otherwise stays as it is: a rerun imports nothing and checks the count
  // again, so running the same command twice never duplicates rows.
  if (!why.empty()) spdlog::info("load: starting '{}' over: {}", name, why);
  if (!why.empty() || state.target != options.target) {
    return store.Update([&](Manifest& m) {
      m.collections[index].load = LoadState{};
      m.collections[index].load.target = options.target;
    });
  }
  return absl::OkStatus();
}

// Creates (or reuses, or recreates) the collection and its partitions, once per migration.
// The collection is marked with the plan (see pipeline/collection_fit.h), so that no later
// run puts the same rows into it again.
Status PrepareCollection(MilvusClient& milvus, ManifestStore& store, size_t index,
                         const LoadOptions& options, const std::string& plan_id,
                         const std::string& checkpoint) {
  CollectionManifest cm = store.Snapshot().collections[index];
  const std::string& name = cm.schema.collection;
  if (!cm.load.prepared) {
    ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(name));
    bool adopt = false;
    if (exists && options.if_exists != IfCollectionExists::kRecreate) {
      ASSIGN_OR_RETURN(adopt, IsOwnUntouchedCollection(milvus, name, plan_id));
    }
    if (!adopt) {
      RETURN_IF_ERROR(
          CheckExistingCollection(milvus, cm.schema, plan_id, options.if_exists, checkpoint));
    }
    int64_t rows_before = 0;
    bool create = !exists;
    if (adopt) {
      spdlog::info("load: collection '{}' was created by an earlier run of this migration and "
                   "is still empty; using it", name);
    } else if (exists) {
      switch (options.if_exists) {
        case IfCollectionExists::kFail:  // CheckExistingCollection refused it
          return absl::InternalError(StrCat("collection '", name, "' exists (ifExists: fail)"));
        case IfCollectionExists::kRecreate:
          spdlog::warn("load: dropping the existing collection '{}' (ifExists: recreate)", name);
          RETURN_IF_ERROR(milvus.DropCollection(name));
          create = true;
          break;
        case IfCollectionExists::kAppend: {
          ASSIGN_OR_RETURN(rows_before, milvus.CountRows(name));
          spdlog::info("load: appending to the existing collection '{}' ({} rows)", name,
                       rows_before);
          break;
        }
      }
    }
    if (create) {
      RETURN_IF_ERROR(milvus.CreateCollection(cm.schema, cm.shards_num, cm.consistency_level,
                                              PlanProperties(plan_id, /*appended=*/false)));
      spdlog::info("load: created collection '{}' ({} shards)", name, cm.shards_num);
    }
    RETURN_IF_ERROR(store.Update([&](Manifest& m) {
      auto& c = m.collections[index];
      c.load.prepared = true;
      c.load.created = create || adopt;
      c.load.rows_before = rows_before;
    }));
    // Marked after the checkpoint knows it: a crash in between leaves a checkpoint that
    // resumes, rather than a mark that refuses a load which imported nothing.
    if (exists && !create && !adopt) {
      RETURN_IF_ERROR(milvus.SetCollectionProperties(name, PlanProperties(plan_id, true)));
    }
  }
  for (const auto& partition : cm.partitions) {
    ASSIGN_OR_RETURN(bool has, milvus.HasPartition(name, partition));
    if (!has) RETURN_IF_ERROR(milvus.CreatePartition(name, partition));
  }
  return absl::OkStatus();
}

namespace {

std::string NewToken() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::set<std::string> SplitFiles(const std::string& joined) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) out.insert(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// The import tasks of `collection` that a run which checkpointed its intent at `intent_unix_s`
// may have submitted for `files` before it died: same files, created since (less a minute
// for clocks apart), not failed (a failed task imported nothing; the part is submitted again).
Result<std::vector<int64_t>> FindSubmittedImport(MilvusClient& milvus,
                                                 const std::string& collection,
                                                 const std::vector<std::string>& files,
                                                 int64_t intent_unix_s) {
  const std::set<std::string> want(files.begin(), files.end());
  ASSIGN_OR_RETURN(std::vector<ImportProgress> tasks, milvus.ListImportTasks(collection));
  std::vector<int64_t> found;
  for (const auto& t : tasks) {
    if (t.create_ts != 0 && t.create_ts + 60 < intent_unix_s) continue;
    if (IsImportFailed(t.state) || SplitFiles(t.files) != want) continue;
    found.push_back(t.task_id);
  }
  return found;
}

// Milvus 2.3 fails the import tasks that were running when it went down ("task marked failed
// as service restarted"); such a task imported nothing, and the part can simply go again.
constexpr int kRestartSettleSeconds = 45;
bool FailedByRestart(const std::string& failed_reason) {
  return failed_reason.find("service restarted") != std::string::npos;
}

// Submits (unless already submitted) and waits for one part's import. Sets `*restarted` when
// the import failed only because Milvus restarted under it.
Result<int64_t> ImportPartOnce(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                               const PartRef& ref, const LoadOptions& options,
                               bool* restarted) {
  std::string collection;
  ImportRecord record;
  store.Read([&](const Manifest& m) {
    const CollectionManifest& cm = m.collections[ref.collection];
    collection = cm.schema.collection;
    auto it = cm.load.imports.find(ref.part.dir);
    if (it != cm.load.imports.end()) record = it->second;
  });
  std::vector<std::string> files;
  for (const auto& f : ref.part.files) files.push_back(storage.ImportPath(f));
  auto persist = [&]() {
    return store.Update([&](Manifest& m) {
      m.collections[ref.collection].load.imports[ref.part.dir] = record;
    });
  };
  if (record.task_ids.empty() && record.intent_unix_s != 0) {
    // An earlier run meant to submit this part and died before it recorded the task ids:
    // Milvus may have the import already.
    ASSIGN_OR_RETURN(record.task_ids,
                     FindSubmittedImport(milvus, collection, files, record.intent_unix_s));
    if (!record.task_ids.empty()) {
      spdlog::info("load: part {} was submitted by an earlier run (attempt {}) that did not "
                   "record it: task {}; waiting for it instead of submitting again",
                   ref.part.dir, record.intent_token, record.task_ids.front());
      if (record.task_ids.size() > 1) {
        spdlog::warn("load: part {} was submitted {} times by earlier runs", ref.part.dir,
                     record.task_ids.size());
      }
      RETURN_IF_ERROR(persist());
    } else {
      spdlog::info("load: part {}: Milvus has no import of it from the earlier attempt {}; "
                   "submitting it", ref.part.dir, record.intent_token);
    }
  }
  if (record.task_ids.empty()) {
    // The intent first: if this process dies after Milvus accepted the import and before
    // the task ids are written, the next run knows to look for the task.
    record.intent_token = NewToken();
    record.intent_unix_s = static_cast<int64_t>(std::time(nullptr));
    RETURN_IF_ERROR(persist());
    for (int attempt = 1;; ++attempt) {
      Result<std::vector<int64_t>> ids = milvus.Import(collection, ref.part.partition, files);
      if (ids.ok()) {
        record.task_ids = *std::move(ids);
        break;
      }
      if (!IsTransient(ids.status()) || attempt >= 5) return ids.status();
      // The connection broke: Milvus may have accepted the import before it did. Look
      // (this waits within the retry budget for Milvus to answer) before submitting again.
      spdlog::warn("load: submitting part {} failed ({}); looking for its import in Milvus",
                   ref.part.dir, std::string(ids.status().message()));
      ASSIGN_OR_RETURN(record.task_ids,
                       FindSubmittedImport(milvus, collection, files, record.intent_unix_s));
      if (!record.task_ids.empty()) break;
    }
    if (options.test_pause_after_submit_ms > 0) {
      spdlog::warn("load: part {} submitted as task {}; pausing {} ms before the checkpoint "
                   "(MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS, a test hook)",
                   ref.part.dir, record.task_ids.front(), options.test_pause_after_submit_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(options.test_pause_after_submit_ms));
    }
    RETURN_IF_ERROR(persist());
  } else {
    spdlog::info("load: part {} was submitted by an earlier run; waiting for it", ref.part.dir);
  }

  if (options.observer != nullptr) {
    for (int64_t id : record.task_ids) options.observer->AddImportTask(collection, id);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(options.import_timeout_s);
  int64_t rows = 0;
  for (int64_t task_id : record.task_ids) {
    while (true) {
      ASSIGN_OR_RETURN(ImportProgress p, milvus.GetImportState(task_id));
      if (p.state == ImportState::kCompleted) {
        rows += p.row_count;
        break;
      }
      if (p.state == ImportState::kFailed || p.state == ImportState::kFailedAndCleaned) {
        // A failed task imported nothing and is forgotten, so the part is submitted again.
        RETURN_IF_ERROR(store.Update([&](Manifest& m) {
          m.collections[ref.collection].load.imports.erase(ref.part.dir);
        }));
        *restarted = FailedByRestart(p.failed_reason);
        if (*restarted) {
          return absl::UnavailableError(StrCat(
              "Milvus import of part ", ref.part.dir, " (task ", task_id,
              ") failed because Milvus restarted: ", p.failed_reason));
        }
        return absl::AbortedError(StrCat("Milvus import of part ", ref.part.dir, " in ",
                                         storage.Describe(), " (task ", task_id,
                                         ") failed: ", p.failed_reason));
      }
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError(StrCat(
            "Milvus import of part ", ref.part.dir, " (task ", task_id, ") did not finish in ",
            options.import_timeout_s, "s (loader.import.timeoutSeconds); rerun load to keep "
            "waiting for it"));
      }
      // Stopping leaves the task id in the checkpoint: a rerun waits for the same import.
      RETURN_IF_ERROR(CheckCancelled(StrCat("load of part ", ref.part.dir)));
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_interval_ms));
    }
  }
  if (rows != ref.part.rows) {
    return absl::DataLossError(StrCat("Milvus imported ", rows, " rows from part ", ref.part.dir,
                                      ", which holds ", ref.part.rows));
  }
  RETURN_IF_ERROR(store.Update([&](Manifest& m) {
    auto& r = m.collections[ref.collection].load.imports[ref.part.dir];
    r.completed = true;
    r.rows = rows;
  }));
  return rows;
}

Result<int64_t> ImportPart(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                           const PartRef& ref, const LoadOptions& options) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    bool restarted = false;
    Result<int64_t> rows = ImportPartOnce(milvus, storage, store, ref, options, &restarted);
    if (rows.ok() || !restarted || attempt >= kAttempts) return rows;
    // After a restart, Milvus 2.3 hands new imports to the data node it knew before until
    // that node's session expires (about 30 s after the restart on 2.3.5), and an import
    // given to that gone node stays pending for good. So wait that out first.
    spdlog::warn("load: {}; submitting the part again in {} s (attempt {} of {})",
                 std::string(rows.status().message()), kRestartSettleSeconds, attempt + 1,
                 kAttempts);
    for (int i = 0; i < kRestartSettleSeconds; ++i) {
      RETURN_IF_ERROR(CheckCancelled(StrCat("load of part ", ref.part.dir)));
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
}

}  // namespace

Status IndexAndLoad(MilvusClient& milvus, const CollectionManifest& cm,
                    const LoadOptions& options) {
  const std::string& name = cm.schema.collection;
  if (!cm.indexes.empty()) {
    // The source's own indexes (a Milvus 2.x source), each as it was.
    for (const auto& index : cm.indexes) {
      spdlog::info("load: building a {} index ({}) on '{}.{}', as the source had it",
                   index.index_type.empty() ? "default" : index.index_type,
                   index.metric_type.empty() ? "no metric" : index.metric_type, name,
                   index.field);
      RETURN_IF_ERROR(milvus.CreateIndex(name, index.field, index.index_type,
                                         index.metric_type, index.params));
    }
    if (options.load_collection) {
      spdlog::info("load: loading collection '{}' for search", name);
      RETURN_IF_ERROR(milvus.LoadCollection(name));
    }
    return absl::OkStatus();
  }
  if (options.index_type.empty()) return absl::OkStatus();
  for (const auto& field : cm.schema.fields) {
    if (!IsVectorType(field.type)) continue;
    // One config index serves every collection of a multi-collection source; a binary
    // field cannot take a float index, so it gets the exact binary one instead.
    std::string type = options.index_type;
    std::map<std::string, std::string> params = options.index_params;
    if (field.type == DataType::kBinaryVector && type.rfind("BIN_", 0) != 0) {
      spdlog::info("load: '{}.{}' holds binary vectors, which {} cannot index; using BIN_FLAT",
                   name, field.name, type);
      type = "BIN_FLAT";
      params.clear();
    }
    spdlog::info("load: building a {} index ({}) on '{}.{}'", type, cm.metric_type, name,
                 field.name);
    RETURN_IF_ERROR(milvus.CreateIndex(name, field.name, type, cm.metric_type, params));
  }
  if (options.load_collection) {
    spdlog::info("load: loading collection '{}' for search", name);
    RETURN_IF_ERROR(milvus.LoadCollection(name));
  }
  return absl::OkStatus();
}

namespace {

// After an import into collection `c` failed with `first_error`: Milvus out of reach, a
// timeout or a stop keep everything for a rerun; otherwise a collection the load created is
// dropped (it holds nothing the user had) and the checkpoint forgets the load once it is.
void AfterImportError(MilvusClient& milvus, ManifestStore& store, size_t c,
                      const LoadOptions& options, const Status& first_error) {
  const std::string name = store.Snapshot().collections[c].schema.collection;
  const LoadState state = store.Snapshot().collections[c].load;
  // Milvus out of reach (past the retry budget), a timeout, or a stop: the submitted
  // imports may still finish, and a rerun waits for them by task id.
  const bool resumable = absl::IsDeadlineExceeded(first_error) ||
                         absl::IsCancelled(first_error) || IsTransient(first_error);
  if (resumable) {
    spdlog::warn("load: '{}' is partly loaded; the checkpoint keeps the parts submitted "
                 "and imported: rerun the same command to finish", name);
  } else if (state.created) {
    // A collection this load created holds nothing the user had: drop it rather than
    // leave a half-filled one behind. The checkpoint forgets the load only once the
    // drop succeeded; otherwise it still knows the collection and its imports.
    spdlog::warn("load: dropping collection '{}' that this load created, after the error",
                 name);
    Status dropped = milvus.DropCollection(name);
    if (dropped.ok()) {
      store.Update([&](Manifest& mm) {
        mm.collections[c].load = LoadState{};
        mm.collections[c].load.target = options.target;
      }).IgnoreError();
    } else {
      spdlog::warn("load: could not drop '{}' ({}); the checkpoint keeps what was imported "
                   "into it: rerun the same command to finish", name,
                   std::string(dropped.message()));
    }
  } else {
    bool any_completed = false;
    for (const auto& [dir, r] : state.imports) any_completed |= r.completed;
    if (any_completed) {
      spdlog::warn("load: collection '{}' existed before and now holds part of the rows; "
                   "rerun load to finish (imported parts are not imported again)", name);
    }
  }
}

}  // namespace

Status ImportSink::CheckTargets(Storage& output, const std::string& source_id,
                                const std::vector<CollectionPlan>& plans) {
  MilvusClient& milvus = *milvus_;
  ManifestStore store(&output);
  ASSIGN_OR_RETURN(std::optional<Manifest> previous, store.Load());
  const std::string checkpoint = StrCat(output.Describe(), "/", ManifestStore::kFileName);
  for (const auto& plan : plans) {
    bool prepared = false;
    if (previous && previous->source_id == source_id) {
      for (const auto& c : previous->collections) {
        prepared |= c.schema.collection == plan.schema->collection && c.load.prepared &&
                    c.load.target == options_.target;
      }
    }
    if (prepared) continue;
    RETURN_IF_ERROR(CheckTargetCollection(milvus, *plan.schema,
                                          PlanId(source_id, plan.schema->collection),
                                          options_.if_exists, checkpoint));
  }
  return absl::OkStatus();
}

Result<LoadSummary> ImportSink::LoadParts(Storage& storage, ManifestStore& store) {
  MilvusClient& milvus = *milvus_;
  const LoadOptions& options = options_;
  const Manifest loaded = store.Snapshot();
  const auto start = Clock::now();
  const std::string checkpoint = StrCat(storage.Describe(), "/", ManifestStore::kFileName);
  auto plan_id = [&](size_t c) {
    return PlanId(loaded.source_id, loaded.collections[c].schema.collection);
  };
  // Every target collection is checked before the first import, so a collection that
  // cannot take its rows stops the load before anything went into any collection.
  for (size_t c = 0; c < loaded.collections.size(); ++c) {
    RETURN_IF_ERROR(ResetStaleLoadState(milvus, store, c, options));
    const CollectionManifest cm = store.Snapshot().collections[c];
    if (cm.load.prepared) continue;
    RETURN_IF_ERROR(CheckTargetCollection(milvus, cm.schema, plan_id(c), options.if_exists,
                                          checkpoint));
  }
  LoadSummary summary;
  if (options.observer != nullptr) {
    options.observer->StartPhase(RunPhase::kImport);
    for (const auto& cm : loaded.collections) {
      int64_t bytes = 0;
      for (const auto& [task_id, task] : cm.tasks) {
        for (const auto& part : task.parts) bytes += static_cast<int64_t>(part.bytes);
      }
      options.observer->SetCollectionTotal(cm.schema.collection, cm.total_rows, bytes);
    }
  }
  for (size_t c = 0; c < loaded.collections.size(); ++c) {
    const std::string name = loaded.collections[c].schema.collection;
    RETURN_IF_ERROR(ResetStaleLoadState(milvus, store, c, options));
    RETURN_IF_ERROR(PrepareCollection(milvus, store, c, options, plan_id(c), checkpoint));
    const CollectionManifest cm = store.Snapshot().collections[c];

    std::vector<PartRef> todo;
    int skipped = 0;
    for (const auto& [task_id, task] : cm.tasks) {
      for (const auto& part : task.parts) {
        auto it = cm.load.imports.find(part.dir);
        if (it != cm.load.imports.end() && it->second.completed) {
          ++skipped;
          if (options.observer != nullptr) {
            options.observer->Add(name, part.rows, static_cast<int64_t>(part.bytes));
            for (int64_t id : it->second.task_ids) options.observer->AddImportTask(name, id);
          }
        } else {
          todo.push_back({c, part});
        }
      }
    }
    summary.parts_skipped += skipped;
    spdlog::info("load: importing {} part(s) into '{}' ({} imported earlier)", todo.size(),
                 name, skipped);

    if (options.observer != nullptr) options.observer->AddTasks(static_cast<int>(todo.size()));
    std::atomic<int64_t> rows{0};
    const Status first_error = ParallelFor(options.workers, todo.size(), [&](size_t i) -> Status {
      ASSIGN_OR_RETURN(int64_t imported, ImportPart(milvus, storage, store, todo[i], options));
      rows += imported;
      if (options.observer != nullptr) {
        options.observer->Add(name, imported, static_cast<int64_t>(todo[i].part.bytes));
        options.observer->FinishTask();
      }
      spdlog::info("load: part {} imported: {} rows", todo[i].part.dir, imported);
      return absl::OkStatus();
    });
    summary.rows += rows.load();
    summary.parts += static_cast<int>(todo.size());

    if (!first_error.ok()) {
      AfterImportError(milvus, store, c, options, first_error);
      return first_error;
    }

    // Every row the dump wrote must be there, no more and no less.
    ASSIGN_OR_RETURN(int64_t count, milvus.CountRows(name));
    Manifest m = store.Snapshot();
    const int64_t expected = m.collections[c].load.rows_before + m.collections[c].total_rows;
    if (count != expected) {
      return absl::DataLossError(StrCat("collection '", name, "' counts ", count,
                                        " rows after the load, expected ", expected, " (",
                                        m.collections[c].load.rows_before, " before + ",
                                        m.collections[c].total_rows, " dumped)"));
    }
    spdlog::info("load: collection '{}' holds {} rows, as expected", name, count);
    if (m.collections[c].load.created) {
      const CollectionManifest& cm = m.collections[c];
      RETURN_IF_ERROR(CheckCreatedAsPlanned(milvus, cm.schema, cm.shards_num,
                                            cm.consistency_level, cm.partitions));
    }
    RETURN_IF_ERROR(IndexAndLoad(milvus, m.collections[c], options));
    RETURN_IF_ERROR(store.Update([&](Manifest& mm) { mm.collections[c].load.verified = true; }));
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

// The import of parts while the dump goes on (`start`). Workers take the next part the
// checkpoint holds, of a streamable collection, that this target has not imported and no
// worker has taken, and import it as LoadParts would (ImportPart: intent first, then the
// task ids, then completed); the collection is prepared once, before its first part.
class ImportSink::PartStream {
 public:
  PartStream(MilvusClient& milvus, const LoadOptions& options, Storage& storage,
             ManifestStore& store, std::vector<bool> streamable)
      : milvus_(milvus),
        options_(options),
        storage_(storage),
        store_(store),
        streamable_(std::move(streamable)),
        prepared_(streamable_.size(), false) {
    const Manifest m = store_.Snapshot();
    checkpoint_ = StrCat(storage_.Describe(), "/", ManifestStore::kFileName);
    for (const auto& c : m.collections) plan_ids_.push_back(PlanId(m.source_id, c.schema.collection));
    CancellationFlag* const run_flag = CurrentRunCancellation();
    for (int i = 0; i < std::max(options_.workers, 1); ++i) {
      threads_.emplace_back([this, run_flag] {
        ScopedRunCancellation scoped(run_flag);
        Work();
      });
    }
  }

  ~PartStream() { End(absl::CancelledError("the dump did not end")).IgnoreError(); }

  void Wake() { cv_.notify_all(); }

  Status error() {
    std::lock_guard lock(mu_);
    return error_;
  }

  // Waits for the workers: with `dump_ok` until every part is imported, else for the imports
  // in flight. Then the first error, after AfterImportError for its collection.
  Status End(const Status& dump_status) {
    {
      std::lock_guard lock(mu_);
      if (ended_) return error_;
      ended_ = true;
      dump_ok_ = dump_status.ok();
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    std::lock_guard lock(mu_);
    if (!error_.ok() && error_collection_ < streamable_.size()) {
      AfterImportError(milvus_, store_, error_collection_, options_, error_);
    } else if (error_.ok() && !dump_status.ok()) {
      // Parts went in beside a dump that then failed: as after an import's failure, a stop
      // or an unreachable source keeps them for a rerun, and bad input (a damaged file, an
      // invalid row) drops each collection this load created.
      for (size_t c = 0; c < streamable_.size(); ++c) {
        if (store_.Snapshot().collections[c].load.created) {
          AfterImportError(milvus_, store_, c, options_, dump_status);
        }
      }
    }
    return error_;
  }

 private:
  // The next part to import, marked taken; nullopt when none is waiting. REQUIRES: mu_ held.
  std::optional<PartRef> TakeLocked() {
    std::optional<PartRef> next;
    store_.Read([&](const Manifest& m) {
      for (size_t c = 0; c < m.collections.size() && c < streamable_.size() && !next; ++c) {
        if (!streamable_[c]) continue;
        const CollectionManifest& cm = m.collections[c];
        // Imports recorded for another Milvus are not this load's (ResetStaleLoadState).
        const bool ours = cm.load.target == options_.target;
        for (const auto& [task_id, task] : cm.tasks) {
          for (const auto& part : task.parts) {
            if (taken_.count({c, part.dir})) continue;
            auto it = cm.load.imports.find(part.dir);
            if (ours && it != cm.load.imports.end() && it->second.completed) continue;
            next = PartRef{c, part};
            break;
          }
          if (next) break;
        }
      }
    });
    if (next) taken_.insert({next->collection, next->part.dir});
    return next;
  }

  void Work() {
    while (true) {
      std::optional<PartRef> ref;
      {
        std::unique_lock lock(mu_);
        while (true) {
          if (!error_.ok() || (ended_ && !dump_ok_)) return;
          ref = TakeLocked();
          if (ref || ended_) break;
          // Woken by each checkpoint; the timeout is only a safety net.
          cv_.wait_for(lock, std::chrono::seconds(1));
        }
      }
      if (!ref) return;  // the dump ended and every part is taken
      Status st = ImportOne(*ref);
      if (!st.ok()) {
        std::lock_guard lock(mu_);
        if (error_.ok()) {
          error_ = st;
          error_collection_ = ref->collection;
        }
        cv_.notify_all();
        return;
      }
    }
  }

  // The collection prepared once (as LoadParts does: a stale load state reset, the target
  // checked, then created or adopted), then the part imported.
  Status ImportOne(const PartRef& ref) {
    const size_t c = ref.collection;
    {
      std::lock_guard lock(prepare_mu_);
      if (!prepared_[c]) {
        RETURN_IF_ERROR(ResetStaleLoadState(milvus_, store_, c, options_));
        bool prepared = false;
        store_.Read([&](const Manifest& m) { prepared = m.collections[c].load.prepared; });
        if (!prepared) {
          const Schema schema = store_.Snapshot().collections[c].schema;
          RETURN_IF_ERROR(CheckTargetCollection(milvus_, schema, plan_ids_[c],
                                                options_.if_exists, checkpoint_));
        }
        RETURN_IF_ERROR(
            PrepareCollection(milvus_, store_, c, options_, plan_ids_[c], checkpoint_));
        prepared_[c] = true;
      }
    }
    // A part already imported by this target (taken before ResetStaleLoadState reset
    // another target's imports, or completed meanwhile) needs nothing more.
    bool completed = false;
    store_.Read([&](const Manifest& m) {
      const auto& imports = m.collections[c].load.imports;
      auto it = imports.find(ref.part.dir);
      completed = it != imports.end() && it->second.completed;
    });
    if (completed) return absl::OkStatus();
    if (options_.observer != nullptr) options_.observer->BeginConcurrentImport();
    ASSIGN_OR_RETURN(int64_t imported, ImportPart(milvus_, storage_, store_, ref, options_));
    if (options_.observer != nullptr) {
      options_.observer->AddConcurrentImport(imported, static_cast<int64_t>(ref.part.bytes));
    }
    spdlog::info("load: part {} imported: {} rows, while the dump goes on", ref.part.dir,
                 imported);
    return absl::OkStatus();
  }

  MilvusClient& milvus_;
  const LoadOptions& options_;
  Storage& storage_;
  ManifestStore& store_;
  const std::vector<bool> streamable_;
  std::string checkpoint_;
  std::vector<std::string> plan_ids_;

  std::mutex prepare_mu_;
  std::vector<bool> prepared_;  // guarded by prepare_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::pair<size_t, std::string>> taken_;  // (collection, part dir)
  bool ended_ = false;
  bool dump_ok_ = false;
  Status error_;
  size_t error_collection_ = SIZE_MAX;
  std::vector<std::thread> threads_;
};

ImportSink::ImportSink(MilvusClient* milvus, LoadOptions options)
    : milvus_(milvus), options_(std::move(options)) {}
ImportSink::~ImportSink() = default;

Status ImportSink::BeginParts(Storage& storage, ManifestStore& store,
                              std::vector<bool> streamable) {
  if (stream_) return absl::InternalError("ImportSink::BeginParts called twice");
  bool any = false;
  for (bool s : streamable) any |= s;
  if (!any) return absl::OkStatus();
  spdlog::info("load: importing each part as soon as the dump has checkpointed it");
  stream_ = std::make_unique<PartStream>(*milvus_, options_, storage, store,
                                         std::move(streamable));
  return absl::OkStatus();
}

Status ImportSink::PartsCheckpointed() {
  if (!stream_) return absl::OkStatus();
  stream_->Wake();
  return stream_->error();
}

Status ImportSink::EndParts(const Status& dump_status) {
  if (!stream_) return absl::OkStatus();
  Status st = stream_->End(dump_status);
  stream_.reset();
  return st;
}

}  // namespace mm
