// Runs fn(0) .. fn(n-1) on at most `workers` threads, each thread taking the next index
// when it finishes one. The first error stops the hand-out of further indexes (those
// already running finish) and is returned. `fn` must be safe to call concurrently. The
// workers inherit the caller's run cancellation flag (core/cancellation.h).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "core/cancellation.h"
#include "core/status.h"

namespace mm {

template <typename Fn>
Status ParallelFor(int workers, size_t n, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  CancellationFlag* const run_flag = CurrentRunCancellation();
  auto worker = [&] {
    ScopedRunCancellation scoped(run_flag);
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      Status st = fn(i);
      if (!st.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) first_error = st;
        failed = true;
        return;
      }
    }
  };
  const size_t threads_wanted = std::clamp<size_t>(static_cast<size_t>(std::max(workers, 1)), 1,
                                                   std::max<size_t>(n, 1));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < threads_wanted; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace mm
