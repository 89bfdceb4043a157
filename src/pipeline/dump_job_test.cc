#include "pipeline/dump_job.h"

#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/cancellation.h"
#include "pipeline/testing_source.h"
#include "storage/memory_storage.h"

namespace mm {
namespace {

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

// The int64 ids of a NumPy part's id.npy (after its 128-byte header).
std::vector<int64_t> PartIds(MemoryStorage& storage, const PartInfo& part) {
  const std::string text = storage.Content(part.dir + "/id.npy");
  std::vector<int64_t> ids((text.size() - 128) / sizeof(int64_t));
  std::memcpy(ids.data(), text.data() + 128, ids.size() * sizeof(int64_t));
  return ids;
}

TEST(DumpJobTest, TaskWithPositionsKeepsCheckpointedPartsAndRerunContinuesThere) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  {
    // Batches of 7, parts of 10 rows: three parts are finished when row 35 fails.
    CountingSource failing(2, 50, /*fail_task=*/1);
    failing.set_positions(true);
    failing.set_fail_after(35);
    auto summary = RunDump(failing, storage, store, {.workers = 1, .part_bytes = 160,
                                                     .source_kind = "test", .source_id = "s"});
    ASSERT_FALSE(summary.ok());
    const TaskRecord t1 = store.Snapshot().collections[0].tasks.at("t1");
    EXPECT_FALSE(t1.done);
    EXPECT_EQ(t1.rows, 30);
    ASSERT_EQ(t1.parts.size(), 3u);
    EXPECT_EQ(t1.position, "29");
    EXPECT_EQ(storage.List("c/t1/").value().size(), 6u);  // 3 parts x (id, data)
  }
  // What a killed run leaves: a part written after the last checkpoint.
  storage.Put("c/t1/part-00003/id.npy", "stale");
  CountingSource source(2, 50);
  source.set_positions(true);
  auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                  .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(source.resumed_at(), std::vector<std::string>{"t1@29"});
  EXPECT_EQ(summary->rows, 100);
  const TaskRecord t1 = store.Snapshot().collections[0].tasks.at("t1");
  EXPECT_TRUE(t1.done);
  EXPECT_EQ(t1.position, "");
  std::vector<int64_t> ids;
  for (const auto& p : t1.parts) {
    for (int64_t id : PartIds(storage, p)) ids.push_back(id);
  }
  std::vector<int64_t> want(50);
  for (int64_t i = 0; i < 50; ++i) want[i] = 1000 + i;
  EXPECT_EQ(ids, want);  // every row once, in order
  EXPECT_EQ(storage.List("c/t1/").value().size(), 2 * t1.parts.size());
}

TEST(DumpJobTest, TasksOfAnEarlierPlanAreForgottenWithTheirParts) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  {
    CountingSource failing(3, 50, /*fail_task=*/2);
    ASSERT_FALSE(RunDump(failing, storage, store, {.workers = 1, .part_bytes = 160,
                                                   .source_kind = "test", .source_id = "s"})
                     .ok());
  }
  EXPECT_FALSE(storage.List("c/t1/").value().empty());
  CountingSource fewer(1, 50);  // the source now plans one task
  auto summary = RunDump(fewer, storage, store, {.workers = 1, .part_bytes = 160,
                                                 .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 50);
  EXPECT_EQ(store.Snapshot().collections[0].tasks.size(), 1u);
  EXPECT_TRUE(storage.List("c/t1/").value().empty());
}

TEST(DumpJobTest, StopRequestAbandonsTheTaskAndARerunResumes) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(2, 50);
  RequestCancellation();
  auto stopped = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                  .source_kind = "test", .source_id = "s"});
  ClearCancellationForTesting();
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(storage.List("c/").value().empty());
  EXPECT_FALSE(store.Snapshot().dump_complete);
  auto rerun = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(rerun.ok()) << rerun.status();
  EXPECT_EQ(rerun->rows, 100);
}

TEST(DumpJobTest, RefusesOutputOfAnotherSource) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(1, 5);
  ASSERT_TRUE(RunDump(source, storage, store, {.source_kind = "test", .source_id = "a"}).ok());
  auto again = RunDump(source, storage, store, {.source_kind = "test", .source_id = "b"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

// Identities with credentials (as older versions stored the Elasticsearch URL) never reach
// manifest.json, and a checkpoint holding one still resumes under the redacted identity.
TEST(DumpJobTest, ManifestIdentitiesAreStoredRedacted) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(1, 5);
  const std::string with_secret =
      "elasticsearch:http://elastic:Pw-Secret-1@h:9200/i (5 documents)";
  ASSERT_TRUE(RunDump(source, storage, store, {.source_kind = "test", .source_id = with_secret})
                  .ok());
  const std::string stored = storage.Content("manifest.json");
  EXPECT_EQ(stored.find("Pw-Secret-1"), std::string::npos) << stored;
  EXPECT_NE(stored.find("http://***@h:9200/i"), std::string::npos) << stored;
  // An older checkpoint with the secret in it.
  std::string old = stored;
  old.replace(old.find("***"), 3, "Pw-Secret-1");
  {
    auto file = storage.OpenWrite("manifest.json");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(old).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  auto parsed = ManifestFromJson(old, "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->source_id, "elasticsearch:http://***@h:9200/i (5 documents)");
  ManifestStore reopened(&storage);
  auto again = RunDump(source, storage, reopened,
                       {.source_kind = "test",
                        .source_id = "elasticsearch:http://***@h:9200/i (5 documents)"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(storage.Content("manifest.json").find("Pw-Secret-1"), std::string::npos);
}

TEST(DumpJobTest, VarCharSchemasGetJsonRowsPartsCutBySize) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  TextSource source(3000);
  const uint64_t part_bytes = 20000;
  auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = part_bytes,
                                                  .source_kind = "test", .source_id = "s"});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 3000);
  Manifest m = store.Snapshot();
  const auto& parts = m.collections[0].tasks.at("t0").parts;
  ASSERT_GT(parts.size(), 5u);
  int64_t next_id = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartInfo& p = parts[i];
    ASSERT_EQ(p.files, std::vector<std::string>{p.dir + "/rows.json"});
    const std::string text = storage.Content(p.files[0]);
    EXPECT_EQ(p.bytes, text.size());
    // Cut at the size, overshooting by about a row (rows are ~80 bytes).
    EXPECT_LT(p.bytes, part_bytes + 200) << p.dir;
    if (i + 1 < parts.size()) {
      EXPECT_GE(p.bytes, part_bytes) << p.dir;
    }
    auto rows = nlohmann::json::parse(text).at("rows");
    ASSERT_EQ(static_cast<int64_t>(rows.size()), p.rows);
    for (const auto& row : rows) {
      ASSERT_EQ(row.at("id").get<int64_t>(), next_id);
      EXPECT_EQ(row.at("title").get<std::string>(), TextSource::Title(next_id));
      ++next_id;
    }
  }
  EXPECT_EQ(next_id, 3000);
  // The manifest on storage round-trips with the single-file parts.
  auto parsed = ManifestFromJson(storage.Content("manifest.json"), "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->collections[0].tasks.at("t0").parts[0].files,
            std::vector<std::string>{"docs/t0/part-00000/rows.json"});
}

}  // namespace
}  // namespace mm
