#include "pipeline/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>

namespace mm {
namespace {

TEST(ParallelForTest, RunsEveryIndexOnce) {
  std::mutex mu;
  std::multiset<size_t> seen;
  ASSERT_TRUE(ParallelFor(3, 100, [&](size_t i) {
    std::lock_guard lock(mu);
    seen.insert(i);
    return absl::OkStatus();
  }).ok());
  ASSERT_EQ(seen.size(), 100u);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(seen.count(i), 1u);
}

TEST(ParallelForTest, FirstErrorStopsTheHandOut) {
  std::atomic<int> calls{0};
  Status st = ParallelFor(1, 100, [&](size_t i) {
    ++calls;
    return i == 4 ? absl::DataLossError("at 4") : absl::OkStatus();
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls.load(), 5);
}

TEST(ParallelForTest, NothingToDo) {
  EXPECT_TRUE(ParallelFor(4, 0, [](size_t) { return absl::InternalError("never"); }).ok());
}

TEST(ParallelForTest, WorkersSeeTheirRunsCancellationOnly) {
  CancellationFlag mine;
  CancellationFlag other;
  mine.Request();
  std::atomic<int> cancelled{0};
  {
    ScopedRunCancellation scoped(&mine);
    ASSERT_FALSE(ParallelFor(3, 6, [&](size_t) {
      Status st = CheckCancelled("test");
      if (absl::IsCancelled(st)) ++cancelled;
      return st;
    }).ok());
  }
  EXPECT_GE(cancelled.load(), 1);
  // Another run's flag, or none, does not stop this one.
  ScopedRunCancellation scoped(&other);
  EXPECT_TRUE(ParallelFor(3, 6, [&](size_t) { return CheckCancelled("test"); }).ok());
  EXPECT_TRUE(CheckCancelled("test").ok());
}

}  // namespace
}  // namespace mm
