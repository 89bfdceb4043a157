// RunDump's route for a batch sink (loader.mode insert/upsert): batches go to the sink's
// TaskWriter, the checkpoint records the rows in doubt before they are sent and the
// acknowledged position after each Flush, and a rerun after a crash sends the rows that may
// have arrived by Upsert, so no row is lost or doubled. A fake sink stands for Milvus: it
// counts each primary key, and an Insert of a key it already holds is a duplicate.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>

#include "pipeline/dump_job.h"
#include "pipeline/testing_source.h"
#include "storage/memory_storage.h"

namespace mm {
namespace {

// What the fake Milvus holds: each key's copies, and Inserts that doubled a key.
struct FakeTarget {
  std::mutex mu;
  std::map<int64_t, int> copies;
  int64_t duplicates = 0;
  int64_t upserted = 0;
  int finished = 0;
};

class FakeWriter : public TaskWriter {
 public:
  FakeWriter(FakeTarget* target, int64_t rows_in_doubt, int fail_at_write, int* writes)
      : target_(target), doubt_(rows_in_doubt), fail_at_write_(fail_at_write), writes_(writes) {}
  Status Write(const Batch& batch) override {
    std::lock_guard lock(target_->mu);
    // The rows reach the target whether or not the answer does.
    for (int64_t i = 0; i < batch.num_rows(); ++i, ++seen_) {
      const int64_t id = batch.column(0).scalar<int64_t>(i);
      if (seen_ < doubt_) {
        target_->copies[id] = 1;  // Upsert: replaces
        ++target_->upserted;
      } else if (target_->copies[id]++ > 0) {
        ++target_->duplicates;
      }
    }
    if (++*writes_ == fail_at_write_) return absl::UnavailableError("the process dies here");
    return absl::OkStatus();
  }
  Status Flush() override { return absl::OkStatus(); }

 private:
  FakeTarget* target_;
  int64_t doubt_;
  int64_t seen_ = 0;
  int fail_at_write_;
  int* writes_;
};

class FakeBatchSink : public Sink {
 public:
  FakeBatchSink(FakeTarget* target, int fail_at_write)
      : target_(target), fail_at_write_(fail_at_write) {}
  SinkInput input() const override { return SinkInput::kBatches; }
  std::string_view kind() const override { return "insert"; }
  Status CheckTargets(Storage&, const std::string&, const std::vector<CollectionPlan>&) override {
    return absl::OkStatus();
  }
  Status Prepare(ManifestStore&, size_t) override { return absl::OkStatus(); }
  Result<std::unique_ptr<TaskWriter>> OpenTask(ManifestStore& store, size_t collection,
                                               const SourceTask& task) override {
    int64_t doubt = 0;
    store.Read([&](const Manifest& m) {
      const auto& tasks = m.collections[collection].tasks;
      if (auto it = tasks.find(task.id); it != tasks.end()) doubt = it->second.rows_in_doubt;
    });
    return std::unique_ptr<TaskWriter>(
        std::make_unique<FakeWriter>(target_, doubt, fail_at_write_, &writes_));
  }
  Status Finish(ManifestStore&, size_t) override {
    std::lock_guard lock(target_->mu);
    ++target_->finished;
    return absl::OkStatus();
  }

 private:
  FakeTarget* target_;
  int fail_at_write_;
  int writes_ = 0;
};

DumpOptions BatchOptions(Sink* sink) {
  // Batches of 7 rows of 16 bytes: a Flush and a checkpoint every 3 batches.
  return DumpOptions{.workers = 1, .source_kind = "test", .source_id = "counting",
                     .batch_sink = sink, .flush_bytes = 300};
}

// Every crash point of a 2-task load: rerun, and each key is there once, none inserted twice.
TEST(DumpJobBatchesTest, ARunKilledAtAnyWriteResumesWithoutLossOrDuplicates) {
  constexpr int64_t kRows = 100;  // 15 batches a task
  for (int crash = 1; crash <= 30; ++crash) {
    SCOPED_TRACE(StrCat("crash at write ", crash));
    MemoryStorage storage;
    ManifestStore store(&storage);
    CountingSource source(2, kRows);
    source.set_positions(true);
    FakeTarget target;
    FakeBatchSink crashing(&target, crash);
    auto first = RunDump(source, storage, store, BatchOptions(&crashing));
    ASSERT_FALSE(first.ok());
    FakeBatchSink rerun(&target, -1);
    auto second = RunDump(source, storage, store, BatchOptions(&rerun));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->rows, 2 * kRows);
    EXPECT_EQ(target.duplicates, 0);
    ASSERT_EQ(target.copies.size(), static_cast<size_t>(2 * kRows));
    for (const auto& [id, n] : target.copies) EXPECT_EQ(n, 1) << "id " << id;
    EXPECT_EQ(target.finished, 1);
    // Only the rows after the last acknowledged position went again: at most 3 batches.
    EXPECT_LE(target.upserted, 3 * 7);
    // Resumed part-way, not from the start, once a checkpoint had a position.
    if (crash > 3 && crash <= 15) {
      EXPECT_FALSE(source.resumed_at().empty());
    }
    const Manifest m = store.Snapshot();
    EXPECT_TRUE(m.dump_complete);
    for (const auto& [id, t] : m.collections[0].tasks) {
      EXPECT_TRUE(t.done) << id;
      EXPECT_EQ(t.rows_in_doubt, 0) << id;
      EXPECT_TRUE(t.parts.empty()) << id;
    }
  }
}

// A source without positions: a rerun reads the task from the start, and every row the
// killed run sent goes again by Upsert.
TEST(DumpJobBatchesTest, WithoutPositionsEverySentRowIsInDoubt) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(1, 50);
  FakeTarget target;
  FakeBatchSink crashing(&target, 5);
  ASSERT_FALSE(RunDump(source, storage, store, BatchOptions(&crashing)).ok());
  EXPECT_EQ(store.Snapshot().collections[0].tasks.at("t0").rows_in_doubt, 35);
  FakeBatchSink rerun(&target, -1);
  ASSERT_TRUE(RunDump(source, storage, store, BatchOptions(&rerun)).ok());
  EXPECT_EQ(target.duplicates, 0);
  EXPECT_EQ(target.copies.size(), 50u);
  EXPECT_EQ(target.upserted, 35);
}

// Nothing goes to storage: no parts, only the checkpoint.
TEST(DumpJobBatchesTest, WritesNoParts) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(2, 30);
  source.set_positions(true);
  FakeTarget target;
  FakeBatchSink sink(&target, -1);
  auto done = RunDump(source, storage, store, BatchOptions(&sink));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->parts, 0);
  auto files = storage.List("");
  ASSERT_TRUE(files.ok());
  for (const auto& f : *files) EXPECT_EQ(f.path, ManifestStore::kFileName);
  EXPECT_EQ(target.copies.size(), 60u);
}

}  // namespace
}  // namespace mm
