// RunLoad routes by what a sink consumes, never by which sink it is: a parts sink gets the
// dump once it has been checked, a batch sink is refused, and a sink is only asked for the
// input it declares. No server: the sinks here record what they are given.
#include "pipeline/sink.h"

#include <gtest/gtest.h>

#include "pipeline/dump_job.h"
#include "pipeline/load_job.h"
#include "pipeline/testing_source.h"
#include "storage/memory_storage.h"

namespace mm {
namespace {

class RecordingSink : public Sink {
 public:
  explicit RecordingSink(SinkInput input) : input_(input) {}
  SinkInput input() const override { return input_; }
  std::string_view kind() const override { return "recording"; }
  Status CheckTargets(Storage&, const std::string&, const std::vector<CollectionPlan>&) override {
    return absl::OkStatus();
  }
  Result<LoadSummary> LoadParts(Storage&, ManifestStore& store) override {
    ++load_parts_calls;
    LoadSummary s;
    store.Read([&](const Manifest& m) {
      for (const auto& c : m.collections) {
        for (const auto& [id, task] : c.tasks) {
          s.parts += static_cast<int>(task.parts.size());
          s.rows += task.rows;
        }
      }
    });
    return s;
  }
  int load_parts_calls = 0;

 private:
  SinkInput input_;
};

void Dump(MemoryStorage& storage) {
  ManifestStore store(&storage);
  CountingSource source(2, 50);
  auto dumped = RunDump(source, storage, store,
                        {.workers = 1, .part_bytes = 400, .source_kind = "test",
                         .source_id = "s"});
  ASSERT_TRUE(dumped.ok()) << dumped.status();
  ASSERT_EQ(dumped->parts, 4);
}

TEST(SinkTest, APartsSinkGetsTheCheckedDump) {
  MemoryStorage storage;
  Dump(storage);
  ManifestStore store(&storage);
  RecordingSink sink(SinkInput::kParts);
  auto loaded = RunLoad(sink, storage, store);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(sink.load_parts_calls, 1);
  EXPECT_EQ(loaded->parts, 4);
  EXPECT_EQ(loaded->rows, 100);
}

TEST(SinkTest, APartsSinkIsNotCalledWithoutADump) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  RecordingSink sink(SinkInput::kParts);
  auto loaded = RunLoad(sink, storage, store);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound) << loaded.status();
  EXPECT_EQ(sink.load_parts_calls, 0);
}

TEST(SinkTest, APartsSinkIsNotCalledWithADamagedPart) {
  MemoryStorage storage;
  Dump(storage);
  ManifestStore store(&storage);
  ASSERT_TRUE(store.Load().ok());
  const PartInfo part = store.Snapshot().collections[0].tasks.at("t1").parts[0];
  ASSERT_TRUE(storage.Delete(part.files[0]).ok());
  RecordingSink sink(SinkInput::kParts);
  auto loaded = RunLoad(sink, storage, store);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_NE(loaded.status().message().find(part.dir), absl::string_view::npos);
  EXPECT_EQ(sink.load_parts_calls, 0);
}

TEST(SinkTest, ABatchSinkIsNotHandedADump) {
  MemoryStorage storage;
  Dump(storage);
  ManifestStore store(&storage);
  RecordingSink sink(SinkInput::kBatches);
  auto loaded = RunLoad(sink, storage, store);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition) << loaded.status();
  EXPECT_NE(loaded.status().message().find("recording"), absl::string_view::npos);
  EXPECT_EQ(sink.load_parts_calls, 0);
}

TEST(SinkTest, ASinkIsOnlyAskedForTheInputItTakes) {
  // The batch calls of a parts sink (and the reverse) are the pipeline's bug, not data.
  MemoryStorage storage;
  ManifestStore store(&storage);
  RecordingSink parts(SinkInput::kParts);
  EXPECT_EQ(parts.Prepare(store, 0).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(parts.OpenTask(store, 0, SourceTask{.id = "t0"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(parts.Finish(store, 0).code(), absl::StatusCode::kInternal);
  class BatchOnly : public Sink {
   public:
    SinkInput input() const override { return SinkInput::kBatches; }
    std::string_view kind() const override { return "batch"; }
    Status CheckTargets(Storage&, const std::string&,
                        const std::vector<CollectionPlan>&) override {
      return absl::OkStatus();
    }
  } batches;
  EXPECT_EQ(batches.LoadParts(storage, store).status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace mm
