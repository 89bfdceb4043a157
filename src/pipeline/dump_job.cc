#include "pipeline/dump_job.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_format.h"
#include "core/cancellation.h"
#include "formats/part_writer.h"
#include "pipeline/part_check.h"
#include "pipeline/parallel_for.h"
#include "pipeline/plan_check.h"

namespace mm {
namespace {

struct PlannedTask {
  size_t collection;  // index into plans and manifest collections
  const SourceTask* task;
};

std::string PartDir(const SourceTask& task, int index) {
  char name[32];
  std::snprintf(name, sizeof(name), "part-%05d", index);
  return StrCat(task.collection, "/", task.id, "/", name);
}

// One collection's invalid rows in a dump: logs the first few as they come, and stops the
// dump as soon as they pass dumper.maxInvalidRatio of the rows its source holds (when the
// source says). Thread-safe: the collection's tasks share it.
class SkipAccount {
 public:
  // `source_rows`: rows the source holds for the collection, -1 when unknown.
  SkipAccount(std::string collection, int64_t source_rows, double max_ratio)
      : collection_(std::move(collection)), source_rows_(source_rows), max_ratio_(max_ratio) {}

  // Rows left out by an earlier run, in parts kept from it: counted, not logged again.
  Status AddEarlier(int64_t n) {
    std::lock_guard lock(mu_);
    count_ += n;
    return CheckLocked();
  }
  Status Add(const SkippedRow& row) {
    std::lock_guard lock(mu_);
    if (++count_ <= static_cast<int64_t>(SkippedRows::kMaxExamples)) {
      spdlog::warn("dump: collection '{}': {} left out: {}", collection_, row.row, row.reason);
    }
    return CheckLocked();
  }

 private:
  Status CheckLocked() const {
    if (max_ratio_ < 0 || source_rows_ <= 0 ||
        static_cast<double>(count_) <= max_ratio_ * static_cast<double>(source_rows_)) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(StrCat(
        "collection '", collection_, "': ", count_, " of the ", source_rows_,
        " rows its source holds were left out as invalid, over dumper.maxInvalidRatio ",
        max_ratio_, " (at most ", static_cast<int64_t>(max_ratio_ * source_rows_),
        "); stopping"));
  }

  const std::string collection_;
  const int64_t source_rows_;
  const double max_ratio_;
  std::mutex mu_;
  int64_t count_ = 0;
};

// Deletes what lies under `task_prefix` outside the parts `kept`: leftovers of an attempt
// that stopped after its last checkpoint.
Status DeleteUncheckpointedParts(Storage& storage, const std::string& task_prefix,
                                 const std::vector<PartInfo>& kept) {
  std::set<std::string> keep;
  for (const auto& p : kept) keep.insert(p.dir + "/");
  ASSIGN_OR_RETURN(std::vector<FileInfo> files, storage.List(task_prefix));
  std::set<std::string> stale;
  for (const auto& f : files) {
    const size_t slash = f.path.find('/', task_prefix.size());
    const std::string dir = slash == std::string::npos ? f.path : f.path.substr(0, slash + 1);
    if (!keep.count(dir)) stale.insert(dir);
  }
  for (const auto& dir : stale) {
    RETURN_IF_ERROR(dir.back() == '/' ? storage.DeletePrefix(dir.substr(0, dir.size() - 1))
                                      : storage.Delete(dir));
  }
  return absl::OkStatus();
}

// The first part of `task` that a load submitted to Milvus (its intent recorded is enough:
// the import may be running), or "" when none. `start` imports parts while the dump goes on,
// so such a task must never be dumped again from its start: its rows would go in twice.
std::string SubmittedPart(const CollectionManifest& cm, const TaskRecord& task) {
  for (const auto& p : task.parts) {
    if (cm.load.imports.count(p.dir)) return p.dir;
  }
  return "";
}

Status RefuseRedump(const CollectionManifest& cm, const std::string& task,
                    const std::string& part, const std::string& why) {
  return absl::FailedPreconditionError(StrCat(
      "dump: task ", task, " of '", cm.schema.collection, "' would be dumped again from its "
      "start (", why, "), but its part ", part, " was already submitted to Milvus (",
      cm.load.target, "), so its rows would be imported twice. Restore the part, or drop the "
      "collection and start over in an empty output directory"));
}

// RefuseRedump for the first task of `cm` with a part submitted to Milvus; OK when none.
Status RefuseRedumpAny(const CollectionManifest& cm, const std::string& why) {
  for (const auto& [id, task] : cm.tasks) {
    if (std::string part = SubmittedPart(cm, task); !part.empty()) {
      return RefuseRedump(cm, id, part, why);
    }
  }
  return absl::OkStatus();
}

// Streams one task into parts. When the source gives positions, every finished part is
// checkpointed through `checkpoint` and a task that fails keeps those parts for a rerun,
// which continues from `previous`; otherwise a failed task leaves nothing in storage.
// Feeds the caller's RunObserver (may be null), which the CLI's progress display and the
// REST server's get_job both read.
struct TaskProgress {
  RunObserver* observer;
  const std::string& collection;
  void Add(int64_t rows, int64_t bytes) {
    if (observer != nullptr) observer->Add(collection, rows, bytes);
  }
};

Result<TaskRecord> DumpTask(Source& source, Storage& storage, const SourceTask& task,
                            const SchemaPtr& schema, uint64_t part_bytes, TaskProgress& progress,
                            const TaskRecord* previous,
                            const std::function<Status(const TaskRecord&)>& checkpoint,
                            InvalidRows invalid_rows, SkipAccount& skips) {
  const std::string task_prefix = StrCat(task.collection, "/", task.id, "/");
  TaskRecord record;
  std::unique_ptr<BatchReader> reader;
  if (previous && !previous->done && !previous->position.empty() && !previous->parts.empty()) {
    record = *previous;
    RETURN_IF_ERROR(DeleteUncheckpointedParts(storage, task_prefix, record.parts));
    ASSIGN_OR_RETURN(reader, source.OpenTaskAt(task, record.position));
    uint64_t kept_bytes = 0;
    for (const auto& p : record.parts) kept_bytes += p.bytes;
    progress.Add(record.rows + record.skipped.count(), static_cast<int64_t>(kept_bytes));
    if (Status st = skips.AddEarlier(record.skipped.count()); !st.ok()) {
      return Annotate(st, StrCat("task ", task.id));
    }
    spdlog::info("dump: task {} resumes after the {} rows of its {} part(s) dumped earlier",
                 task.id, record.rows, record.parts.size());
  } else {
    // Leftovers of an interrupted earlier attempt at this task.
    RETURN_IF_ERROR(storage.DeletePrefix(task_prefix));
    ASSIGN_OR_RETURN(reader, source.OpenTask(task));
  }
  // Every row is checked before it is written, whatever the source.
  reader = std::make_unique<ValidatingBatchReader>(std::move(reader), invalid_rows, task.id,
                                                   record.rows + record.skipped.count());
  std::unique_ptr<PartWriter> part;
  // Bytes a row is expected to take in a part, to decide how many rows still fit: the
  // fixed widths up front, then what the open part has measured (variable-width values and
  // JSON text are known only once encoded).
  int64_t fixed_row_bytes = 0;
  for (const auto& f : schema->fields) fixed_row_bytes += f.FixedWidth();
  fixed_row_bytes = std::max<int64_t>(fixed_row_bytes, 1);
  const bool fixed_size_rows = ChoosePartFormat(*schema) == PartFormat::kNumpy;
  // Rows added to a fresh variable-size part before its measure is trusted.
  constexpr int64_t kProbeRows = 64;

  auto fail = [&](const Status& st) {
    if (part) part->Abandon();
    // Checkpointed parts stay for a rerun to continue from; anything else goes.
    if (record.position.empty()) storage.DeletePrefix(task_prefix).IgnoreError();
    return Annotate(st, StrCat("task ", task.id));
  };

  while (true) {
    if (Status st = CheckCancelled("dump"); !st.ok()) return fail(st);
    auto next = reader->Next();
    if (!next.ok()) return fail(next.status());
    if (!next->has_value()) break;
    const Batch& batch = **next;
    // The batch's skipped rows are counted once the dump has passed them: those before a
    // part's last row go into that part's checkpoint, so a rerun that reads on after it
    // neither loses nor recounts them.
    size_t next_skip = 0;
    auto count_skips = [&](int64_t before) -> Status {
      const auto& batch_skips = batch.skips();
      const size_t from = next_skip;
      for (; next_skip < batch_skips.size() && batch_skips[next_skip].before < before;
           ++next_skip) {
        record.skipped.Add(batch_skips[next_skip].row);
        RETURN_IF_ERROR(skips.Add(batch_skips[next_skip].row));
      }
      progress.Add(static_cast<int64_t>(next_skip - from), 0);
      return absl::OkStatus();
    };
    int64_t offset = 0;
    while (offset < batch.num_rows()) {
      if (!part) {
        auto opened = OpenPartWriter(&storage, PartDir(task, record.parts.size()), schema,
                                     task.partition);
        if (!opened.ok()) return fail(opened.status());
        part = std::move(*opened);
      }
      int64_t row_bytes = fixed_row_bytes;
      if (!fixed_size_rows && part->rows() > 0) {
        row_bytes = std::max<int64_t>(
            row_bytes, static_cast<int64_t>(part->bytes()) / part->rows() + 1);
      }
      // As many rows as fit under the part size, at least one.
      int64_t room = static_cast<int64_t>((part_bytes - std::min(part_bytes, part->bytes())) /
                                          row_bytes);
      if (!fixed_size_rows) {
        // Rows differ in size: close in on the limit by halves, re-measuring each time, so
        // a part overshoots by about one row.
        room = part->rows() < kProbeRows ? std::min(room, kProbeRows) : room / 2;
      }
      int64_t n = std::min(batch.num_rows() - offset, std::max<int64_t>(room, 1));
      const uint64_t bytes_before = part->bytes();
      Status st = part->Add(batch, offset, n);
      if (!st.ok()) return fail(st);
      offset += n;
      progress.Add(n, fixed_size_rows ? n * fixed_row_bytes
                                      : static_cast<int64_t>(part->bytes() - bytes_before));
      if (part->bytes() >= part_bytes) {
        auto info = part->Finish();
        part.reset();
        if (!info.ok()) return fail(info.status());
        record.rows += info->rows;
        record.parts.push_back(std::move(*info));
        // The part ends at row offset - 1 of this batch.
        if (std::string position = reader->PositionAfter(offset - 1); !position.empty()) {
          record.position = std::move(position);
          if (Status st = count_skips(offset); !st.ok()) return fail(st);
          if (Status st = checkpoint(record); !st.ok()) return fail(st);
        }
      }
    }
    if (Status st = count_skips(std::numeric_limits<int64_t>::max()); !st.ok()) return fail(st);
  }
  if (part && part->rows() > 0) {
    auto info = part->Finish();
    part.reset();
    if (!info.ok()) return fail(info.status());
    record.rows += info->rows;
    record.parts.push_back(std::move(*info));
  }
  if (task.rows >= 0 && record.rows + record.skipped.count() != task.rows) {
    return fail(absl::DataLossError(StrCat(
        "source yielded ", record.rows + record.skipped.count(), " rows",
        record.skipped.count() > 0 ? StrCat(" (", record.skipped.count(), " left out as invalid)")
                                   : "",
        ", its metadata says ", task.rows)));
  }
  record.done = true;
  record.position.clear();
  return record;
}

// Streams one task into the batch sink's TaskWriter (loader.mode insert/upsert). Before a
// batch is sent, the checkpoint says how many rows after the last acknowledged position may
// reach Milvus (TaskRecord::rows_in_doubt); after each Flush, the acknowledged position. A
// rerun opens the task at that position, and the writer sends the rows in doubt by Upsert.
Result<TaskRecord> SendTask(Source& source, Sink& sink, ManifestStore& store, size_t collection,
                            const SourceTask& task, uint64_t flush_bytes,
                            TaskProgress& progress, const TaskRecord* previous,
                            const std::function<Status(const TaskRecord&)>& checkpoint,
                            InvalidRows invalid_rows, SkipAccount& skips) {
  // What the checkpoint knows as acknowledged: `acked.rows` rows (and skips) up to
  // `acked.position`.
  TaskRecord acked;
  std::unique_ptr<BatchReader> reader;
  // Rows read from here on that an earlier run may have sent (its rows in doubt; with no
  // position, every row it sent).
  int64_t inherited_doubt = 0;
  if (previous && !previous->done && !previous->position.empty()) {
    acked = *previous;
    inherited_doubt = previous->rows_in_doubt;
    ASSIGN_OR_RETURN(reader, source.OpenTaskAt(task, acked.position));
    progress.Add(acked.rows + acked.skipped.count(), 0);
    if (Status st = skips.AddEarlier(acked.skipped.count()); !st.ok()) {
      return Annotate(st, StrCat("task ", task.id));
    }
    spdlog::info("load: task {} resumes after the {} rows sent and acknowledged earlier",
                 task.id, acked.rows);
  } else {
    if (previous && !previous->done) inherited_doubt = previous->rows_in_doubt;
    ASSIGN_OR_RETURN(reader, source.OpenTask(task));
  }
  acked.done = false;
  acked.parts.clear();
  // The writer reads this task's rows in doubt from the checkpoint, so it opens before the
  // first intent below replaces them.
  RETURN_IF_ERROR(store.Update([&](Manifest& m) {
    m.collections[collection].tasks[task.id].rows_in_doubt = inherited_doubt;
  }));
  ASSIGN_OR_RETURN(std::unique_ptr<TaskWriter> writer, sink.OpenTask(store, collection, task));
  reader = std::make_unique<ValidatingBatchReader>(std::move(reader), invalid_rows, task.id,
                                                   acked.rows + acked.skipped.count());
  int64_t sent = 0;        // rows handed to the writer since the reader opened
  int64_t acknowledged = 0;  // of those, acknowledged by a Flush
  SkippedRows pending_skips;
  uint64_t bytes_since_flush = 0;
  auto doubt = [&] { return std::max(inherited_doubt - acknowledged, sent - acknowledged); };
  auto fail = [&](const Status& st) {
    // Requests in flight end before the task does; the checkpoint already counts them in doubt.
    writer->Flush().IgnoreError();
    return Annotate(st, StrCat("task ", task.id));
  };
  while (true) {
    if (Status st = CheckCancelled("load"); !st.ok()) return fail(st);
    auto next = reader->Next();
    if (!next.ok()) return fail(next.status());
    if (!next->has_value()) break;
    const Batch& batch = **next;
    for (const auto& skip : batch.skips()) {
      pending_skips.Add(skip.row);
      if (Status st = skips.Add(skip.row); !st.ok()) return fail(st);
    }
    progress.Add(static_cast<int64_t>(batch.skips().size()), 0);
    if (batch.num_rows() == 0) continue;
    // The intent first: a run killed while these rows are in flight leaves a checkpoint that
    // knows they may be in Milvus.
    sent += batch.num_rows();
    TaskRecord intent = acked;
    intent.rows_in_doubt = doubt();
    if (Status st = checkpoint(intent); !st.ok()) return fail(st);
    if (Status st = writer->Write(batch); !st.ok()) return fail(st);
    progress.Add(batch.num_rows(), batch.size_bytes());
    bytes_since_flush += static_cast<uint64_t>(batch.size_bytes());
    if (bytes_since_flush < flush_bytes) continue;
    bytes_since_flush = 0;
    if (Status st = writer->Flush(); !st.ok()) return fail(st);
    const std::string position = reader->PositionAfter(batch.num_rows() - 1);
    if (position.empty()) continue;  // no position to resume at: everything stays in doubt
    acked.rows += sent - acknowledged;
    acked.skipped.Merge(pending_skips);
    pending_skips = SkippedRows();
    acknowledged = sent;
    acked.position = position;
    acked.rows_in_doubt = doubt();
    if (Status st = checkpoint(acked); !st.ok()) return fail(st);
  }
  if (Status st = writer->Flush(); !st.ok()) return fail(st);
  acked.rows += sent - acknowledged;
  acked.skipped.Merge(pending_skips);
  if (task.rows >= 0 && acked.rows + acked.skipped.count() != task.rows) {
    return fail(absl::DataLossError(StrCat(
        "source yielded ", acked.rows + acked.skipped.count(), " rows",
        acked.skipped.count() > 0 ? StrCat(" (", acked.skipped.count(), " left out as invalid)")
                                  : "",
        ", its metadata says ", task.rows)));
  }
  acked.done = true;
  acked.position.clear();
  acked.rows_in_doubt = 0;
  return acked;
}

}  // namespace

Result<DumpSummary> RunDump(Source& source, Storage& storage, ManifestStore& store,
                            const DumpOptions& options) {
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.Plan());
  // Before anything is written: a name Milvus refuses would fail only at load.
  RETURN_IF_ERROR(CheckPlanNames(plans));
  if (options.check_plans) RETURN_IF_ERROR(options.check_plans(plans));

  // Resume only a dump of the same source; never mix two sources' parts.
  ASSIGN_OR_RETURN(std::optional<Manifest> previous, store.Load());
  Manifest manifest;
  const bool was_complete = previous && previous->dump_complete;
  if (previous) {
    if (previous->source_id != options.source_id) {
      return absl::FailedPreconditionError(StrCat(
          storage.Describe(), " already holds a dump of ", previous->source_id,
          ", not of ", options.source_id,
          "; choose another output directory or delete that one"));
    }
    manifest = std::move(*previous);
  }
  // Writes killed runs left unfinished (hidden temporary files, incomplete multipart
  // uploads), in the folders this dump owns. Under the output lock, none is in progress.
  std::set<std::string> folders;
  for (const auto& plan : plans) folders.insert(plan.schema->collection);
  for (const auto& c : manifest.collections) folders.insert(c.schema.collection);
  int abandoned = 0;
  for (const auto& folder : folders) {
    ASSIGN_OR_RETURN(int n, storage.RemoveAbandonedWrites(folder));
    abandoned += n;
  }
  if (abandoned > 0) {
    spdlog::info("dump: removed {} unfinished write(s) of an earlier run (temporary files or "
                 "incomplete multipart uploads) in {}", abandoned, storage.Describe());
  }
  manifest.source = options.source_kind;
  manifest.source_id = options.source_id;
  manifest.dump_complete = false;
  std::vector<CollectionManifest> collections;
  for (const auto& plan : plans) {
    CollectionManifest cm;
    for (auto& old : manifest.collections) {
      if (old.schema.collection == plan.schema->collection) cm = std::move(old);
    }
    // A source whose tasks cannot be read again identically (ES slices of a new point in
    // time) redoes all of them after an interrupted dump; DumpTask replaces their parts.
    if (!plan.tasks_resumable && !was_complete && !cm.tasks.empty()) {
      RETURN_IF_ERROR(RefuseRedumpAny(cm, "the dump of this collection cannot resume"));
      spdlog::info("dump: '{}' cannot resume part-way; reading it again from the start",
                   plan.schema->collection);
      // Rows already sent may come again: only Upsert keeps them single.
      if (options.batch_sink != nullptr && cm.load.prepared) cm.load.resend_as_upsert = true;
      cm.tasks.clear();
    }
    // Tasks of an earlier plan that this one does not have (ES slices counted differently,
    // say) would add their rows a second time: forget them and their parts.
    std::set<std::string> planned;
    for (const auto& task : plan.tasks) planned.insert(task.id);
    for (auto it = cm.tasks.begin(); it != cm.tasks.end();) {
      if (planned.count(it->first)) {
        ++it;
        continue;
      }
      if (std::string part = SubmittedPart(cm, it->second); !part.empty()) {
        return RefuseRedump(cm, it->first, part, "it is not in this run's plan");
      }
      spdlog::info("dump: '{}': task {} of an earlier run is not in this plan; deleting its "
                   "parts", plan.schema->collection, it->first);
      RETURN_IF_ERROR(storage.DeletePrefix(StrCat(plan.schema->collection, "/", it->first)));
      it = cm.tasks.erase(it);
    }
    cm.schema = *plan.schema;
    cm.metric_type = plan.metric_type;
    cm.shards_num = plan.shards_num;
    cm.consistency_level = plan.consistency_level;
    cm.partitions = plan.partitions;
    cm.indexes = plan.indexes;
    collections.push_back(std::move(cm));
  }
  manifest.collections = std::move(collections);

  // The parts an earlier run recorded must still be there, whole: a task with a missing or
  // short part is dumped again rather than skipped (its parts are replaced).
  ASSIGN_OR_RETURN(std::vector<PartProblem> problems, CheckParts(storage, manifest));
  std::set<std::pair<size_t, std::string>> redo;
  std::set<size_t> restarted;
  for (const auto& p : problems) {
    CollectionManifest& cm = manifest.collections[p.collection];
    // A part Milvus has imported is no longer needed (loader.cleanup may even have gone).
    if (auto it = cm.load.imports.find(p.part_dir);
        it != cm.load.imports.end() && it->second.completed) {
      continue;
    }
    if (restarted.count(p.collection) || !redo.insert({p.collection, p.task}).second) continue;
    if (plans[p.collection].tasks_resumable) {
      if (std::string part = SubmittedPart(cm, cm.tasks[p.task]); !part.empty()) {
        return RefuseRedump(cm, p.task, part,
                            StrCat("its part ", p.part_dir, " is damaged: ", p.Describe(storage)));
      }
      spdlog::warn("dump: part {} of task {} ('{}'): {}; dumping task {} again", p.part_dir,
                   p.task, cm.schema.collection, p.Describe(storage), p.task);
      cm.tasks.erase(p.task);
    } else {
      // Its tasks cannot be read again identically alone (a new point in time): all again.
      RETURN_IF_ERROR(RefuseRedumpAny(
          cm, StrCat("its part ", p.part_dir, " is damaged: ", p.Describe(storage))));
      spdlog::warn("dump: part {} of task {} ('{}'): {}; dumping '{}' again from the start",
                   p.part_dir, p.task, cm.schema.collection, p.Describe(storage),
                   cm.schema.collection);
      cm.tasks.clear();
      restarted.insert(p.collection);
    }
  }
  RETURN_IF_ERROR(store.Reset(manifest));
  if (options.batch_sink != nullptr) {
    // Before any task: the collections the batches go to (Prepare may forget tasks sent to a
    // collection that is no longer the target, so the plan below reads the manifest again).
    for (size_t c = 0; c < plans.size(); ++c) {
      RETURN_IF_ERROR(options.batch_sink->Prepare(store, c));
    }
    manifest = store.Snapshot();
  }
  if (options.on_plan_checkpointed) RETURN_IF_ERROR(options.on_plan_checkpointed(plans));

  DumpSummary summary;
  std::vector<PlannedTask> todo;
  std::vector<std::unique_ptr<SkipAccount>> skip_accounts;
  int64_t total_rows = 0;
  bool rows_known = true;
  if (options.observer != nullptr) options.observer->StartPhase(RunPhase::kDump);
  for (size_t c = 0; c < plans.size(); ++c) {
    const int64_t total_before = total_rows;
    bool collection_known = true;
    int64_t source_rows = plans[c].total_rows;
    if (source_rows < 0) {
      source_rows = 0;
      for (const auto& task : plans[c].tasks) {
        source_rows = task.rows < 0 || source_rows < 0 ? -1 : source_rows + task.rows;
      }
    }
    skip_accounts.push_back(std::make_unique<SkipAccount>(
        plans[c].schema->collection, source_rows, options.max_invalid_ratio));
    // Rows of a plan whose tasks do not know theirs (ES slices): the plan's total, less
    // what finished tasks hold; parts of unfinished tasks count again when they resume.
    int64_t plan_rows = plans[c].total_rows;
    bool tasks_know = true;
    for (const auto& task : plans[c].tasks) {
      auto it = manifest.collections[c].tasks.find(task.id);
      // A task that left rows out is done only as long as leaving them out is allowed:
      // with invalidRows: fail it is read again, and stops at its first invalid row.
      if (it != manifest.collections[c].tasks.end() && it->second.done &&
          (it->second.skipped.count() == 0 || options.invalid_rows == InvalidRows::kSkip)) {
        ++summary.tasks_skipped;
        plan_rows -= it->second.rows + it->second.skipped.count();
        RETURN_IF_ERROR(skip_accounts[c]->AddEarlier(it->second.skipped.count()));
        continue;
      }
      todo.push_back({c, &task});
      if (task.rows >= 0) {
        total_rows += task.rows;
      } else {
        tasks_know = false;
      }
    }
    if (!tasks_know) {
      if (plans[c].total_rows >= 0) {
        total_rows += std::max<int64_t>(plan_rows, 0);
      } else {
        rows_known = false;
        collection_known = false;
      }
    }
    if (options.observer != nullptr) {
      options.observer->SetCollectionTotal(plans[c].schema->collection,
                                           collection_known ? total_rows - total_before : -1);
    }
  }
  if (options.observer != nullptr) options.observer->AddTasks(static_cast<int>(todo.size()));
  if (!rows_known) total_rows = -1;
  if (summary.tasks_skipped > 0) {
    spdlog::info("dump: {} task(s) already dumped by an earlier run, skipping them",
                 summary.tasks_skipped);
  }

  Status dumped;
  {
    const auto started = std::chrono::steady_clock::now();
    dumped = ParallelFor(options.workers, todo.size(), [&](size_t i) -> Status {
      const PlannedTask& pt = todo[i];
      auto save = [&](const TaskRecord& record) -> Status {
        RETURN_IF_ERROR(store.Update([&](Manifest& m) {
          m.collections[pt.collection].tasks[pt.task->id] = record;
        }));
        if (options.test_pause_after_checkpoint_ms > 0) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(options.test_pause_after_checkpoint_ms));
        }
        return options.on_checkpointed ? options.on_checkpointed() : absl::OkStatus();
      };
      std::optional<TaskRecord> previous;
      Status redump;
      store.Read([&](const Manifest& m) {
        const CollectionManifest& cm = m.collections[pt.collection];
        if (auto it = cm.tasks.find(pt.task->id); it != cm.tasks.end()) {
          previous = it->second;
          // DumpTask resumes a task after its parts only when it is unfinished and has a
          // position; otherwise it dumps it again from its start.
          const bool resumes = !previous->done && !previous->position.empty() &&
                               !previous->parts.empty();
          if (std::string part = SubmittedPart(cm, *previous); !resumes && !part.empty()) {
            redump = RefuseRedump(cm, pt.task->id, part,
                                  "dumper.invalidRows: fail reads it again");
          }
        }
      });
      RETURN_IF_ERROR(redump);
      TaskProgress task_progress{options.observer,
                                 plans[pt.collection].schema->collection};
      if (options.batch_sink != nullptr) {
        ASSIGN_OR_RETURN(TaskRecord record,
                         SendTask(source, *options.batch_sink, store, pt.collection, *pt.task,
                                  options.flush_bytes, task_progress,
                                  previous ? &*previous : nullptr, save, options.invalid_rows,
                                  *skip_accounts[pt.collection]));
        RETURN_IF_ERROR(save(record));
        if (options.observer != nullptr) options.observer->FinishTask();
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(TaskRecord record,
                       DumpTask(source, storage, *pt.task, plans[pt.collection].schema,
                                options.part_bytes, task_progress,
                                previous ? &*previous : nullptr, save, options.invalid_rows,
                                *skip_accounts[pt.collection]));
      RETURN_IF_ERROR(save(record));
      if (options.observer != nullptr) options.observer->FinishTask();
      return absl::OkStatus();
    });
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  RETURN_IF_ERROR(dumped);

  // The dump is complete only if what was left out is within bounds: a collection whose
  // every row was left out, or more than maxInvalidRatio of them, is an error a load must
  // not follow (a rerun with other settings finds the tasks done and checks again).
  Status bounds;
  RETURN_IF_ERROR(store.Update([&](Manifest& m) {
    for (auto& c : m.collections) {
      c.total_rows = 0;
      c.skipped = SkippedRows();
      for (const auto& [id, t] : c.tasks) {
        c.total_rows += t.rows;
        c.skipped.Merge(t.skipped);
        summary.parts += static_cast<int>(t.parts.size());
        for (const auto& p : t.parts) summary.bytes += p.bytes;
      }
      summary.rows += c.total_rows;
      const int64_t skipped = c.skipped.count();
      summary.rows_skipped += skipped;
      if (skipped == 0) continue;
      summary.skipped.emplace_back(c.schema.collection, c.skipped);
      const int64_t read = c.total_rows + skipped;
      const std::string examples = DescribeSkipped({{c.schema.collection, c.skipped}}, 3);
      if (!bounds.ok()) continue;
      if (c.total_rows == 0) {
        bounds = absl::FailedPreconditionError(StrCat(
            "collection '", c.schema.collection, "': all ", read, " rows its source holds "
            "were left out as invalid (", examples, "); nothing to load"));
      } else if (options.max_invalid_ratio >= 0 &&
                 static_cast<double>(skipped) >
                     options.max_invalid_ratio * static_cast<double>(read)) {
        bounds = absl::FailedPreconditionError(StrCat(
            "collection '", c.schema.collection, "': ", skipped, " of ", read, " rows (",
            absl::StrFormat("%.2f", 100.0 * static_cast<double>(skipped) /
                                        static_cast<double>(read)),
            "%) were left out as invalid, over dumper.maxInvalidRatio ",
            options.max_invalid_ratio, " (", examples, ")"));
      }
    }
    m.dump_complete = bounds.ok();
  }));
  RETURN_IF_ERROR(bounds);
  if (options.batch_sink != nullptr) {
    for (size_t c = 0; c < plans.size(); ++c) {
      RETURN_IF_ERROR(options.batch_sink->Finish(store, c));
    }
  }
  return summary;
}

std::string DescribeSkipped(const std::vector<std::pair<std::string, SkippedRows>>& skipped,
                            size_t max_examples) {
  int64_t total = 0;
  for (const auto& [collection, s] : skipped) total += s.count();
  std::string out = StrCat(total, total == 1 ? " row" : " rows", " skipped");
  size_t shown = 0;
  for (const auto& [collection, s] : skipped) {
    for (const auto& e : s.examples()) {
      if (shown == max_examples) return out + ", ...";
      out += StrCat(shown == 0 ? ": " : ", ", skipped.size() > 1 ? StrCat("'", collection, "' ")
                                                                 : std::string(),
                    e.row, " (", e.reason, ")");
      ++shown;
    }
  }
  if (static_cast<int64_t>(shown) < total && shown > 0) out += ", ...";
  return out;
}

}  // namespace mm
