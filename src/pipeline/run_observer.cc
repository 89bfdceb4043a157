#include "pipeline/run_observer.h"

#include <algorithm>

namespace mm {

std::string_view RunPhaseName(RunPhase phase) {
  switch (phase) {
    case RunPhase::kInit:
      return "init";
    case RunPhase::kDump:
      return "dump";
    case RunPhase::kImport:
      return "import";
    case RunPhase::kVerify:
      return "verify";
    case RunPhase::kDone:
      return "done";
  }
  return "init";
}

void RunObserver::StartPhase(RunPhase phase) {
  std::lock_guard lock(mu_);
  if (phase_ != RunPhase::kInit && phase_ != RunPhase::kDone) {
    phase_end_ = std::chrono::steady_clock::now();
    const RunPhase ending = phase_;
    phase_ = RunPhase::kDone;  // so the snapshot's clock stops at phase_end_
    RunSnapshot s = SnapshotLocked();
    finished_.push_back(FinishedPhase{.phase = ending,
                                      .collections = std::move(s.collections),
                                      .rows_done = s.rows_done,
                                      .rows_total = s.rows_total,
                                      .bytes_done = s.bytes_done,
                                      .seconds = s.seconds});
  }
  phase_ = phase;
  // The end keeps the last phase's numbers (and its clock, so the rate stays what it was).
  if (phase == RunPhase::kDone) {
    phase_end_ = std::chrono::steady_clock::now();
    return;
  }
  phase_start_ = std::chrono::steady_clock::now();
  if (phase == RunPhase::kImport && concurrent_import_) phase_start_ = concurrent_start_;
  concurrent_import_ = false;
  concurrent_rows_ = 0;
  concurrent_bytes_ = 0;
  for (auto& c : collections_) {
    c.rows_done = 0;
    c.bytes_done = 0;
    c.seconds = 0;
  }
}

CollectionProgress& RunObserver::Find(const std::string& collection) {
  for (auto& c : collections_) {
    if (c.collection == collection) return c;
  }
  collections_.push_back(CollectionProgress{.collection = collection});
  return collections_.back();
}

void RunObserver::SetCollectionTotal(const std::string& collection, int64_t rows_total,
                                     int64_t bytes_total) {
  std::lock_guard lock(mu_);
  CollectionProgress& c = Find(collection);
  c.rows_total = rows_total;
  if (bytes_total >= 0) c.bytes_total = bytes_total;
}

void RunObserver::Add(const std::string& collection, int64_t rows, int64_t bytes) {
  std::lock_guard lock(mu_);
  CollectionProgress& c = Find(collection);
  c.rows_done += rows;
  c.bytes_done += bytes;
  c.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_start_).count();
}

void RunObserver::AddTasks(int n) {
  std::lock_guard lock(mu_);
  total_tasks_ += n;
}

void RunObserver::FinishTask() {
  std::lock_guard lock(mu_);
  ++finish_tasks_;
}

void RunObserver::AddImportTask(const std::string& collection, int64_t task_id) {
  std::lock_guard lock(mu_);
  auto& ids = Find(collection).import_task_ids;
  if (std::find(ids.begin(), ids.end(), task_id) == ids.end()) ids.push_back(task_id);
}

void RunObserver::BeginConcurrentImport() {
  std::lock_guard lock(mu_);
  if (concurrent_import_) return;
  concurrent_import_ = true;
  concurrent_start_ = std::chrono::steady_clock::now();
}

void RunObserver::AddConcurrentImport(int64_t rows, int64_t bytes) {
  std::lock_guard lock(mu_);
  if (!concurrent_import_) {
    concurrent_import_ = true;
    concurrent_start_ = std::chrono::steady_clock::now();
  }
  concurrent_rows_ += rows;
  concurrent_bytes_ += bytes;
}

RunSnapshot RunObserver::Snapshot() const {
  std::lock_guard lock(mu_);
  RunSnapshot s = SnapshotLocked();
  s.finished = finished_;
  return s;
}

RunSnapshot RunObserver::SnapshotLocked() const {
  RunSnapshot s;
  s.phase = phase_;
  s.total_tasks = total_tasks_;
  s.finish_tasks = finish_tasks_;
  s.collections = collections_;
  bool total_known = !collections_.empty();
  int64_t total = 0;
  for (const auto& c : collections_) {
    s.rows_done += c.rows_done;
    s.bytes_done += c.bytes_done;
    if (c.rows_total < 0) total_known = false;
    total += std::max<int64_t>(c.rows_total, 0);
  }
  s.rows_total = total_known ? total : -1;
  const auto end = phase_ == RunPhase::kDone ? phase_end_ : std::chrono::steady_clock::now();
  s.seconds = std::chrono::duration<double>(end - phase_start_).count();
  if (concurrent_import_) {
    s.concurrent_import.running = true;
    s.concurrent_import.rows_done = concurrent_rows_;
    s.concurrent_import.bytes_done = concurrent_bytes_;
    s.concurrent_import.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - concurrent_start_)
            .count();
  }
  // The same arithmetic as Progress::Line.
  const double secs = std::max(s.seconds, 1e-6);
  s.rows_per_second = static_cast<double>(s.rows_done) / secs;
  s.bytes_per_second = static_cast<double>(s.bytes_done) / secs;
  if (s.rows_total > 0 && s.rows_done > 0 && s.rows_done < s.rows_total) {
    s.eta_seconds = static_cast<double>(s.rows_total - s.rows_done) * secs /
                    static_cast<double>(s.rows_done);
  } else if (s.rows_total >= 0 && s.rows_done >= s.rows_total) {
    s.eta_seconds = 0;
  }
  return s;
}

}  // namespace mm
