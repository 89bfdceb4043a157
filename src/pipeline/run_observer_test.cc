#include "pipeline/run_observer.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(RunObserverTest, CountsPerCollectionAndKeepsTheLastPhaseAtTheEnd) {
  RunObserver o;
  o.StartPhase(RunPhase::kDump);
  o.SetCollectionTotal("a", 100);
  o.SetCollectionTotal("b", 50);
  o.AddTasks(3);
  o.Add("a", 40, 400);
  o.Add("b", 10, 100);
  o.FinishTask();
  RunSnapshot s = o.Snapshot();
  EXPECT_EQ(s.phase, RunPhase::kDump);
  EXPECT_EQ(s.rows_done, 50);
  EXPECT_EQ(s.rows_total, 150);
  EXPECT_EQ(s.bytes_done, 500);
  EXPECT_EQ(s.total_tasks, 3);
  EXPECT_EQ(s.finish_tasks, 1);
  EXPECT_GT(s.eta_seconds, 0);
  ASSERT_EQ(s.collections.size(), 2u);
  EXPECT_EQ(s.collections[0].rows_done, 40);

  o.StartPhase(RunPhase::kImport);  // the import counts again from zero
  o.SetCollectionTotal("a", 100, 1000);
  o.Add("a", 100, 1000);
  o.AddImportTask("a", 7);
  o.AddImportTask("a", 7);
  o.StartPhase(RunPhase::kDone);
  s = o.Snapshot();
  EXPECT_EQ(s.collections[0].rows_done, 100);
  EXPECT_EQ(s.collections[1].rows_done, 0);
  EXPECT_EQ(s.collections[0].import_task_ids, std::vector<int64_t>{7});
  EXPECT_EQ(s.phase, RunPhase::kDone);
}

TEST(RunObserverTest, UnknownTotalMeansNoEta) {
  RunObserver o;
  o.StartPhase(RunPhase::kDump);
  o.SetCollectionTotal("a", -1);
  o.Add("a", 5, 5);
  EXPECT_EQ(o.Snapshot().rows_total, -1);
  EXPECT_LT(o.Snapshot().eta_seconds, 0);
}

TEST(RunObserverTest, KeepsEachFinishedPhasesLastNumbers) {
  RunObserver o;
  o.StartPhase(RunPhase::kDump);
  o.SetCollectionTotal("a", 10);
  o.Add("a", 10, 100);
  o.StartPhase(RunPhase::kImport);
  o.Add("a", 4, 40);
  RunSnapshot s = o.Snapshot();
  ASSERT_EQ(s.finished.size(), 1u);
  EXPECT_EQ(s.finished[0].phase, RunPhase::kDump);
  EXPECT_EQ(s.finished[0].rows_done, 10);
  EXPECT_EQ(s.finished[0].rows_total, 10);
  EXPECT_EQ(s.finished[0].bytes_done, 100);
  ASSERT_EQ(s.finished[0].collections.size(), 1u);
  EXPECT_GE(s.finished[0].collections[0].seconds, 0);
  EXPECT_LE(s.finished[0].collections[0].seconds, s.finished[0].seconds);
  EXPECT_EQ(s.rows_done, 4);  // the import counts on its own
  o.StartPhase(RunPhase::kDone);
  s = o.Snapshot();
  ASSERT_EQ(s.finished.size(), 2u);
  EXPECT_EQ(s.finished[1].phase, RunPhase::kImport);
  EXPECT_EQ(s.finished[1].rows_done, 4);
  EXPECT_EQ(s.rows_done, 4);  // kDone keeps the last phase's numbers
  EXPECT_EQ(RunPhaseName(RunPhase::kVerify), "verify");
}

}  // namespace
}  // namespace mm
