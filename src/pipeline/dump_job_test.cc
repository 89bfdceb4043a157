#include "pipeline/dump_job.h"

#include <gtest/gtest.h>

#include "storage/memory_storage.h"

namespace mm {
namespace {

// A source of `tasks` tasks of `rows` rows each, ids task*1000 + row, 2-dim vectors;
// task `fail_task` fails after its first batch.
class CountingSource : public Source {
 public:
  CountingSource(int tasks, int64_t rows, int fail_task = -1)
      : tasks_(tasks), rows_(rows), fail_task_(fail_task) {
    auto s = std::make_shared<Schema>();
    s->collection = "c";
    s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
    s->fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = 2});
    schema_ = s;
  }
  Result<std::vector<CollectionPlan>> Plan() override {
    CollectionPlan p;
    p.schema = schema_;
    p.metric_type = "L2";
    for (int t = 0; t < tasks_; ++t) {
      p.tasks.push_back({.id = StrCat("t", t), .collection = "c", .rows = rows_});
    }
    return std::vector<CollectionPlan>{p};
  }
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override {
    opened_.fetch_add(1);
    int t = std::stoi(task.id.substr(1));
    return std::unique_ptr<BatchReader>(new Reader(schema_, t, rows_, t == fail_task_));
  }
  int opened() const { return opened_.load(); }

 private:
  class Reader : public BatchReader {
   public:
    Reader(SchemaPtr s, int task, int64_t rows, bool fail)
        : schema_(std::move(s)), task_(task), rows_(rows), fail_(fail) {}
    const SchemaPtr& schema() const override { return schema_; }
    Result<std::optional<Batch>> Next() override {
      if (done_ >= rows_) return std::optional<Batch>();
      if (fail_ && done_ > 0) return absl::DataLossError("boom at row 7");
      Batch b(schema_);
      int64_t n = std::min<int64_t>(7, rows_ - done_);
      for (int64_t i = 0; i < n; ++i) {
        int64_t id = task_ * 1000 + done_ + i;
        float v[2] = {static_cast<float>(id), -static_cast<float>(id)};
        b.column(0).AppendFixed(&id, 1);
        b.column(1).AppendFixed(v, 1);
      }
      done_ += n;
      return std::optional<Batch>(std::move(b));
    }

   private:
    SchemaPtr schema_;
    int task_;
    int64_t rows_, done_ = 0;
    bool fail_;
  };
  int tasks_;
  int64_t rows_;
  int fail_task_;
  SchemaPtr schema_;
  std::atomic<int> opened_{0};
};

TEST(DumpJobTest, CutsPartsBySizeAndRecordsThem) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(3, 50);
  // 16 bytes a row: 10 rows a part.
  auto summary = RunDump(source, storage, store, {.workers = 2, .part_bytes = 160,
                                                  .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 150);
  EXPECT_EQ(summary->parts, 15);
  Manifest m = store.Snapshot();
  EXPECT_TRUE(m.dump_complete);
  ASSERT_EQ(m.collections.size(), 1u);
  EXPECT_EQ(m.collections[0].total_rows, 150);
  const auto& t1 = m.collections[0].tasks.at("t1");
  ASSERT_EQ(t1.parts.size(), 5u);
  EXPECT_EQ(t1.parts[0].dir, "c/t1/part-00000");
  for (const auto& p : t1.parts) EXPECT_EQ(p.rows, 10);
  // The manifest on storage round-trips.
  auto parsed = ManifestFromJson(storage.Content("manifest.json"), "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->collections[0].tasks.at("t2").parts[4].files[1], "c/t2/part-00004/data.npy");
  EXPECT_EQ(parsed->collections[0].schema.fields[1].dim, 2);
}

TEST(DumpJobTest, FailedTaskLeavesNoPartsAndRerunResumes) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  {
    CountingSource failing(3, 50, /*fail_task=*/1);
    auto summary = RunDump(failing, storage, store, {.workers = 1, .part_bytes = 160,
                                                     .source_kind = "test", .source_id = "s"});
    ASSERT_FALSE(summary.ok());
    EXPECT_EQ(summary.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(summary.status().message().find("task t1"), absl::string_view::npos);
    EXPECT_TRUE(storage.List("c/t1/").value().empty());
    EXPECT_FALSE(storage.List("c/t0/").value().empty());
  }
  CountingSource source(3, 50);
  auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                  .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->tasks_skipped, 1);
  EXPECT_EQ(source.opened(), 2);
  EXPECT_EQ(summary->rows, 150);
}

TEST(DumpJobTest, RefusesOutputOfAnotherSource) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(1, 5);
  ASSERT_TRUE(RunDump(source, storage, store, {.source_kind = "test", .source_id = "a"}).ok());
  auto again = RunDump(source, storage, store, {.source_kind = "test", .source_id = "b"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mm
