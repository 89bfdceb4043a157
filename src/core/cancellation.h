// Cancellation: the first SIGINT or SIGTERM asks every running job to stop at its next safe
// point (between batches, between import polls), so files are abandoned cleanly and the
// checkpoint stays consistent for a rerun; a second signal ends the process at once.
// Beside that process-wide stop, one run can be stopped alone (the REST server's
// cancel_job): its thread installs a CancellationFlag, which the pipeline's worker threads
// inherit (ParallelFor), and CheckCancelled sees either.
#pragma once

#include <atomic>

#include "core/status.h"

namespace mm {

// Installs the SIGINT/SIGTERM handlers. Call once, from main.
void InstallCancellationHandlers();
// True once a stop was asked for (or RequestCancellation called).
bool CancellationRequested();
void RequestCancellation();
// Clears a request; for tests, which share one process.
void ClearCancellationForTesting();
// Cancelled naming `what` when a stop was asked for (of the process, or of the run this
// thread works for), else OK.
Status CheckCancelled(std::string_view what);

// A stop asked of one run. Thread-safe.
class CancellationFlag {
 public:
  void Request() { requested_.store(true); }
  bool requested() const { return requested_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> requested_{false};
};

// The flag of the run the calling thread works for; null when none was installed.
CancellationFlag* CurrentRunCancellation();

// Installs `flag` (may be null) as the calling thread's run flag for its lifetime, restoring
// the previous one after. `flag` must outlive this object.
class ScopedRunCancellation {
 public:
  explicit ScopedRunCancellation(CancellationFlag* flag);
  ~ScopedRunCancellation();
  ScopedRunCancellation(const ScopedRunCancellation&) = delete;
  ScopedRunCancellation& operator=(const ScopedRunCancellation&) = delete;

 private:
  CancellationFlag* previous_;
};

}  // namespace mm
