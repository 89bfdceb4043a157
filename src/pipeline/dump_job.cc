#include "pipeline/dump_job.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <set>

#include "core/cancellation.h"
#include "formats/part_writer.h"
#include "pipeline/parallel_for.h"
#include "pipeline/progress.h"

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

// Streams one task into parts. When the source gives positions, every finished part is
// checkpointed through `checkpoint` and a task that fails keeps those parts for a rerun,
// which continues from `previous`; otherwise a failed task leaves nothing in storage.
Result<TaskRecord> DumpTask(Source& source, Storage& storage, const SourceTask& task,
                            const SchemaPtr& schema, uint64_t part_bytes, Progress& progress,
                            const TaskRecord* previous,
                            const std::function<Status(const TaskRecord&)>& checkpoint) {
  const std::string task_prefix = StrCat(task.collection, "/", task.id, "/");
  TaskRecord record;
  std::unique_ptr<BatchReader> reader;
  if (previous && !previous->done && !previous->position.empty() && !previous->parts.empty()) {
    record = *previous;
    RETURN_IF_ERROR(DeleteUncheckpointedParts(storage, task_prefix, record.parts));
    ASSIGN_OR_RETURN(reader, source.OpenTaskAt(task, record.position));
    uint64_t kept_bytes = 0;
    for (const auto& p : record.parts) kept_bytes += p.bytes;
    progress.Add(record.rows, static_cast<int64_t>(kept_bytes));
    spdlog::info("dump: task {} resumes after the {} rows of its {} part(s) dumped earlier",
                 task.id, record.rows, record.parts.size());
  } else {
    // Leftovers of an interrupted earlier attempt at this task.
    RETURN_IF_ERROR(storage.DeletePrefix(task_prefix));
    ASSIGN_OR_RETURN(reader, source.OpenTask(task));
  }
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
          if (Status st = checkpoint(record); !st.ok()) return fail(st);
        }
      }
    }
  }
  if (part && part->rows() > 0) {
    auto info = part->Finish();
    part.reset();
    if (!info.ok()) return fail(info.status());
    record.rows += info->rows;
    record.parts.push_back(std::move(*info));
  }
  if (task.rows >= 0 && record.rows != task.rows) {
    return fail(absl::DataLossError(StrCat("source yielded ", record.rows,
                                           " rows, its metadata says ", task.rows)));
  }
  record.done = true;
  record.position.clear();
  return record;
}

}  // namespace

Result<DumpSummary> RunDump(Source& source, Storage& storage, ManifestStore& store,
                            const DumpOptions& options) {
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.Plan());
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
      spdlog::info("dump: '{}' cannot resume part-way; reading it again from the start",
                   plan.schema->collection);
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
    collections.push_back(std::move(cm));
  }
  manifest.collections = std::move(collections);
  RETURN_IF_ERROR(store.Reset(manifest));

  DumpSummary summary;
  std::vector<PlannedTask> todo;
  int64_t total_rows = 0;
  bool rows_known = true;
  for (size_t c = 0; c < plans.size(); ++c) {
    // Rows of a plan whose tasks do not know theirs (ES slices): the plan's total, less
    // what finished tasks hold; parts of unfinished tasks count again when they resume.
    int64_t plan_rows = plans[c].total_rows;
    bool tasks_know = true;
    for (const auto& task : plans[c].tasks) {
      auto it = manifest.collections[c].tasks.find(task.id);
      if (it != manifest.collections[c].tasks.end() && it->second.done) {
        ++summary.tasks_skipped;
        plan_rows -= it->second.rows;
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
      }
    }
  }
  if (!rows_known) total_rows = -1;
  if (summary.tasks_skipped > 0) {
    spdlog::info("dump: {} task(s) already dumped by an earlier run, skipping them",
                 summary.tasks_skipped);
  }

  Status dumped;
  {
    Progress progress("dump", total_rows);
    dumped = ParallelFor(options.workers, todo.size(), [&](size_t i) -> Status {
      const PlannedTask& pt = todo[i];
      auto save = [&](const TaskRecord& record) {
        return store.Update([&](Manifest& m) {
          m.collections[pt.collection].tasks[pt.task->id] = record;
        });
      };
      std::optional<TaskRecord> previous;
      store.Read([&](const Manifest& m) {
        const auto& tasks = m.collections[pt.collection].tasks;
        if (auto it = tasks.find(pt.task->id); it != tasks.end()) previous = it->second;
      });
      ASSIGN_OR_RETURN(TaskRecord record,
                       DumpTask(source, storage, *pt.task, plans[pt.collection].schema,
                                options.part_bytes, progress,
                                previous ? &*previous : nullptr, save));
      return save(record);
    });
    summary.seconds = progress.seconds();
  }
  RETURN_IF_ERROR(dumped);

  RETURN_IF_ERROR(store.Update([&](Manifest& m) {
    m.dump_complete = true;
    for (auto& c : m.collections) {
      c.total_rows = 0;
      for (const auto& [id, t] : c.tasks) {
        c.total_rows += t.rows;
        summary.parts += static_cast<int>(t.parts.size());
        for (const auto& p : t.parts) summary.bytes += p.bytes;
      }
      summary.rows += c.total_rows;
    }
  }));
  return summary;
}

}  // namespace mm
