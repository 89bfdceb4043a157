// What one run has done so far, for a caller that watches it from another thread (the REST
// server's get_job): the phase, rows and bytes done and total per collection, tasks done and
// total, rate and ETA, and the Milvus import task ids. The dump and the load report into it
// at the same points where they feed the CLI's Progress, so both show the same numbers.
// Thread-safe; every method takes one mutex for a few additions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mm {

enum class RunPhase { kInit, kDump, kImport, kVerify, kDone };
// "init", "dump", "import", "verify", "done"
std::string_view RunPhaseName(RunPhase phase);

struct CollectionProgress {
  std::string collection;
  int64_t rows_done = 0;
  int64_t rows_total = -1;  // < 0 while unknown
  int64_t bytes_done = 0;
  int64_t bytes_total = -1;  // known once the dump is done (the load's input)
  std::vector<int64_t> import_task_ids;
  // From the phase's start to the last rows this collection went through in it.
  double seconds = 0;
};

// A phase once the next one started (or the run ended): its last numbers, kept for the
// summary at the end (report.json) and for a display that prints each phase's final line.
struct FinishedPhase {
  RunPhase phase = RunPhase::kInit;
  std::vector<CollectionProgress> collections;  // in plan order
  int64_t rows_done = 0;
  int64_t rows_total = -1;
  int64_t bytes_done = 0;
  double seconds = 0;
};

struct RunSnapshot {
  RunPhase phase = RunPhase::kInit;
  int total_tasks = 0;   // dump tasks to run plus parts to import, as far as known
  int finish_tasks = 0;
  std::vector<CollectionProgress> collections;  // in plan order
  int64_t rows_done = 0;  // of the current phase, over every collection
  int64_t rows_total = -1;
  int64_t bytes_done = 0;
  double seconds = 0;     // in the current phase
  double rows_per_second = 0;
  double bytes_per_second = 0;
  double eta_seconds = -1;  // < 0 when unknown
  std::vector<FinishedPhase> finished;  // the phases before this one, oldest first
  // `start`: the import running beside the dump (phase kDump), as far as it got: parts
  // imported while the dump goes on. `running` once its first part is imported.
  struct ConcurrentImport {
    bool running = false;
    int64_t rows_done = 0;
    int64_t bytes_done = 0;
    double seconds = 0;  // since its first import was submitted
  } concurrent_import;
};

class RunObserver {
 public:
  // A new phase: the per-phase counters (rows and bytes done, the clock) start again; kDone
  // keeps the last phase's. The phase that ends is kept in RunSnapshot::finished.
  void StartPhase(RunPhase phase);
  // A collection of the plan, with the rows it still has to go through in this phase
  // (< 0 when unknown). Calling it again for the same name updates the total.
  void SetCollectionTotal(const std::string& collection, int64_t rows_total,
                          int64_t bytes_total = -1);
  // Rows and bytes gone through (dumped, imported, or read from the source by verify).
  void Add(const std::string& collection, int64_t rows, int64_t bytes);
  void AddTasks(int n);
  void FinishTask();
  void AddImportTask(const std::string& collection, int64_t task_id);
  // `start`: the import runs beside the dump. BeginConcurrentImport when it starts (its
  // clock), AddConcurrentImport per part imported. The next StartPhase(kImport) counts its
  // time from that start, so the import phase's time and rate cover both.
  void BeginConcurrentImport();
  void AddConcurrentImport(int64_t rows, int64_t bytes);

  RunSnapshot Snapshot() const;

 private:
  CollectionProgress& Find(const std::string& collection);  // REQUIRES: mu_ held
  RunSnapshot SnapshotLocked() const;                          // REQUIRES: mu_ held

  mutable std::mutex mu_;
  RunPhase phase_ = RunPhase::kInit;
  std::chrono::steady_clock::time_point phase_start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point phase_end_;  // once kDone
  int total_tasks_ = 0;
  int finish_tasks_ = 0;
  std::vector<CollectionProgress> collections_;
  std::vector<FinishedPhase> finished_;
  bool concurrent_import_ = false;
  std::chrono::steady_clock::time_point concurrent_start_;
  int64_t concurrent_rows_ = 0;
  int64_t concurrent_bytes_ = 0;
};

}  // namespace mm
