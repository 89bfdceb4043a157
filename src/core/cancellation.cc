#include "core/cancellation.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace mm {
namespace {

std::atomic<bool> g_cancelled{false};
thread_local CancellationFlag* t_run_flag = nullptr;

void OnSignal(int sig) {
  if (g_cancelled.exchange(true)) {
    // Second signal: the user wants out now.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  static const char kMsg[] =
      "\nstopping at the next safe point (press Ctrl-C again to quit at once); rerun the "
      "same command to resume\n";
  ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

}  // namespace

void InstallCancellationHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool CancellationRequested() { return g_cancelled.load(std::memory_order_relaxed); }

void RequestCancellation() { g_cancelled = true; }

void ClearCancellationForTesting() { g_cancelled = false; }

Status CheckCancelled(std::string_view what) {
  if (!CancellationRequested() && (t_run_flag == nullptr || !t_run_flag->requested())) {
    return absl::OkStatus();
  }
  return absl::CancelledError(StrCat(what, ": stopped on request; rerun to resume"));
}

CancellationFlag* CurrentRunCancellation() { return t_run_flag; }

ScopedRunCancellation::ScopedRunCancellation(CancellationFlag* flag) : previous_(t_run_flag) {
  t_run_flag = flag;
}

ScopedRunCancellation::~ScopedRunCancellation() { t_run_flag = previous_; }

}  // namespace mm
