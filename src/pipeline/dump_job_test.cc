#include "pipeline/dump_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

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

// A finished dump whose output lost a part (deleted, or cut short by a full disk): the rerun
// does not skip that task but dumps it again, and only it.
TEST(DumpJobTest, LostOrTruncatedPartIsDumpedAgainOnRerun) {
  for (bool truncate : {false, true}) {
    MemoryStorage storage;
    ManifestStore store(&storage);
    CountingSource first(3, 50);
    ASSERT_TRUE(RunDump(first, storage, store, {.workers = 1, .part_bytes = 160,
                                                .source_kind = "test", .source_id = "s"})
                    .ok());
    const PartInfo victim = store.Snapshot().collections[0].tasks.at("t1").parts[2];
    ASSERT_EQ(victim.file_bytes.size(), victim.files.size());
    const std::string file = victim.files[1];
    const std::string whole = storage.Content(file);
    EXPECT_EQ(whole.size(), victim.file_bytes[1]);
    if (truncate) {
      storage.Put(file, whole.substr(0, whole.size() / 2));
    } else {
      ASSERT_TRUE(storage.Delete(file).ok());
    }

    CountingSource source(3, 50);
    auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                    .source_kind = "test", .source_id = "s"});
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->tasks_skipped, 2) << "truncate=" << truncate;
    EXPECT_EQ(source.opened(), 1);
    EXPECT_EQ(summary->rows, 150);
    EXPECT_EQ(storage.Content(file), whole);
    EXPECT_TRUE(store.Snapshot().dump_complete);
  }
}

// `start` imports parts while the dump goes on, so a task with a part Milvus has (or may
// have: its import submitted) is never dumped again from its start. A damaged part whose
// import completed is no longer needed and is left as it is; one whose import was only
// submitted stops the dump, naming the part.
TEST(DumpJobTest, TaskWithAPartSubmittedToMilvusIsNeverDumpedAgain) {
  for (bool completed : {true, false}) {
    MemoryStorage storage;
    ManifestStore store(&storage);
    CountingSource first(3, 50);
    ASSERT_TRUE(RunDump(first, storage, store, {.workers = 1, .part_bytes = 160,
                                                .source_kind = "test", .source_id = "s"})
                    .ok());
    const PartInfo victim = store.Snapshot().collections[0].tasks.at("t1").parts[2];
    ASSERT_TRUE(store.Update([&](Manifest& m) {
      auto& r = m.collections[0].load.imports[victim.dir];
      r.intent_unix_s = 1;
      r.task_ids = {7};
      r.completed = completed;
      r.rows = completed ? victim.rows : 0;
    }).ok());
    ASSERT_TRUE(storage.Delete(victim.files[1]).ok());

    CountingSource source(3, 50);
    auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                    .source_kind = "test", .source_id = "s"});
    if (completed) {
      ASSERT_TRUE(summary.ok()) << summary.status();
      EXPECT_EQ(source.opened(), 0);
      EXPECT_EQ(summary->rows, 150);
    } else {
      ASSERT_FALSE(summary.ok());
      EXPECT_EQ(summary.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(std::string(summary.status().message()),
                  testing::AllOf(testing::HasSubstr("task t1"), testing::HasSubstr(victim.dir),
                                 testing::HasSubstr("imported twice")));
      EXPECT_EQ(source.opened(), 0);
    }
  }
}

// `start`'s hooks: the plan once checkpointed, then every checkpoint; an error stops the dump.
TEST(DumpJobTest, CheckpointHooksSeeThePlanThenEachCheckpoint) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(3, 50);
  int plans = 0;
  int checkpoints = 0;
  DumpOptions options{.workers = 1, .part_bytes = 160, .source_kind = "test",
                      .source_id = "s"};
  options.on_plan_checkpointed = [&](const std::vector<CollectionPlan>& p) {
    EXPECT_EQ(store.Snapshot().collections.size(), p.size());
    ++plans;
    return absl::OkStatus();
  };
  options.on_checkpointed = [&]() -> Status {
    if (++checkpoints == 2) return absl::AbortedError("import failed");
    return absl::OkStatus();
  };
  auto summary = RunDump(source, storage, store, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_THAT(std::string(summary.status().message()), testing::HasSubstr("import failed"));
  EXPECT_EQ(plans, 1);
  EXPECT_EQ(checkpoints, 2);
  EXPECT_FALSE(store.Snapshot().dump_complete);
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

// ---------------------------------------------------------------- invalid rows

DumpOptions SkipOptions(double max_ratio = -1) {
  return {.workers = 2, .part_bytes = 160, .source_kind = "test", .source_id = "s",
          .invalid_rows = InvalidRows::kSkip, .max_invalid_ratio = max_ratio};
}

std::vector<int64_t> TaskIds(MemoryStorage& storage, const TaskRecord& t) {
  std::vector<int64_t> ids;
  for (const auto& p : t.parts) {
    for (int64_t id : PartIds(storage, p)) ids.push_back(id);
  }
  return ids;
}

TEST(DumpJobTest, NonFiniteVectorStopsTheDumpByDefault) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(2, 50);
  source.set_nan_ids({1013});
  auto summary = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                  .source_kind = "test", .source_id = "s"});
  ASSERT_EQ(summary.status().code(), absl::StatusCode::kInvalidArgument) << summary.status();
  EXPECT_THAT(std::string(summary.status().message()),
              testing::HasSubstr("task t1: collection 'c': id 1013: field 'data' component 1 "
                                 "is NaN"));
  EXPECT_FALSE(store.Snapshot().dump_complete);
  EXPECT_TRUE(storage.List("c/t1/").value().empty());
}

TEST(DumpJobTest, SkippedRowsAreCountedPerTaskAndCollection) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(3, 50);
  source.set_nan_ids({13, 1020, 1021});
  source.set_source_skipped_ids({1040});
  auto summary = RunDump(source, storage, store, SkipOptions());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows, 146);
  EXPECT_EQ(summary->rows_skipped, 4);
  const std::string line = DescribeSkipped(summary->skipped);
  EXPECT_THAT(line, testing::StartsWith("4 rows skipped: id 13 (field 'data' component 1 is "
                                        "NaN), id 1020 ("));
  EXPECT_THAT(line, testing::HasSubstr("source id 1040 (left out by the source)"));
  Manifest m = store.Snapshot();
  EXPECT_TRUE(m.dump_complete);
  EXPECT_EQ(m.collections[0].total_rows, 146);
  EXPECT_EQ(m.collections[0].skipped.count(), 4);
  EXPECT_EQ(m.collections[0].tasks.at("t1").skipped.count(), 3);
  EXPECT_EQ(m.collections[0].tasks.at("t1").rows, 47);
  std::vector<int64_t> ids = TaskIds(storage, m.collections[0].tasks.at("t1"));
  EXPECT_EQ(ids.size(), 47u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 1020), 0);
  // The counts and examples round-trip through manifest.json.
  auto parsed = ManifestFromJson(storage.Content("manifest.json"), "manifest.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->collections[0].skipped.count(), 4);
  ASSERT_EQ(parsed->collections[0].skipped.examples().size(), 4u);
  EXPECT_EQ(parsed->collections[0].skipped.examples()[0].row, "id 13");
  EXPECT_EQ(parsed->collections[0].tasks.at("t1").skipped.examples()[2].row, "source id 1040");
  EXPECT_EQ(DescribeSkipped({}), "0 rows skipped");
}

TEST(DumpJobTest, EveryRowSkippedFailsAndStaysFailed) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(1, 5);
  source.set_nan_ids({0, 1, 2});
  source.set_source_skipped_ids({3, 4});
  for (int run = 0; run < 2; ++run) {
    auto summary = RunDump(source, storage, store, SkipOptions());
    ASSERT_EQ(summary.status().code(), absl::StatusCode::kFailedPrecondition) << run;
    EXPECT_THAT(std::string(summary.status().message()),
                testing::HasSubstr("collection 'c': all 5 rows its source holds were left out"));
    Manifest m = store.Snapshot();
    EXPECT_FALSE(m.dump_complete);
    EXPECT_EQ(m.collections[0].skipped.count(), 5);
  }
}

TEST(DumpJobTest, MaxInvalidRatioStopsTheDump) {
  {
    // 3 of 100 rows: over 2%, known up front (the tasks say their rows): stops at once.
    MemoryStorage storage;
    ManifestStore store(&storage);
    CountingSource source(2, 50);
    source.set_nan_ids({5, 6, 1007});
    auto summary = RunDump(source, storage, store, SkipOptions(0.02));
    ASSERT_EQ(summary.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(summary.status().message()),
                testing::HasSubstr("3 of the 100 rows its source holds were left out as "
                                   "invalid, over dumper.maxInvalidRatio 0.02"));
    EXPECT_FALSE(store.Snapshot().dump_complete);
  }
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(2, 50);
  source.set_nan_ids({5, 6, 1007});
  auto summary = RunDump(source, storage, store, SkipOptions(0.03));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->rows_skipped, 3);
}

TEST(DumpJobTest, SkipsOfAResumedTaskAreCountedOnce) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  const std::set<int64_t> nan = {1005, 1031, 1033, 1047};
  const std::set<int64_t> left_out = {1020, 1034, 1044};
  {
    CountingSource failing(2, 50, /*fail_task=*/1);
    failing.set_positions(true);
    failing.set_fail_after(42);
    failing.set_nan_ids(nan);
    failing.set_source_skipped_ids(left_out);
    ASSERT_FALSE(RunDump(failing, storage, store, SkipOptions()).ok());
    const TaskRecord t1 = store.Snapshot().collections[0].tasks.at("t1");
    ASSERT_FALSE(t1.done);
    ASSERT_FALSE(t1.position.empty());
    // The checkpoint counts exactly the rows left out before its position.
    const int64_t position = std::stoll(t1.position) + 1000;
    int64_t before = 0;
    for (int64_t id : nan) before += id <= position;
    for (int64_t id : left_out) before += id <= position;
    EXPECT_EQ(t1.skipped.count(), before);
    EXPECT_EQ(t1.rows + t1.skipped.count(), position - 1000 + 1);
  }
  CountingSource source(2, 50);
  source.set_positions(true);
  source.set_nan_ids(nan);
  source.set_source_skipped_ids(left_out);
  auto summary = RunDump(source, storage, store, SkipOptions());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(source.resumed_at().size(), 1u);
  const TaskRecord t1 = store.Snapshot().collections[0].tasks.at("t1");
  EXPECT_EQ(t1.skipped.count(), 7);
  EXPECT_EQ(t1.rows, 43);
  std::vector<int64_t> want;
  for (int64_t id = 1000; id < 1050; ++id) {
    if (!nan.count(id) && !left_out.count(id)) want.push_back(id);
  }
  EXPECT_EQ(TaskIds(storage, t1), want);
  EXPECT_EQ(summary->rows_skipped, 7);
}

TEST(DumpJobTest, TasksThatSkippedRowsAreReadAgainWhenSkippingIsOff) {
  MemoryStorage storage;
  ManifestStore store(&storage);
  CountingSource source(2, 50);
  source.set_nan_ids({1013});
  ASSERT_TRUE(RunDump(source, storage, store, SkipOptions()).ok());
  auto strict = RunDump(source, storage, store, {.workers = 1, .part_bytes = 160,
                                                 .source_kind = "test", .source_id = "s"});
  ASSERT_EQ(strict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(strict.status().message()), testing::HasSubstr("id 1013"));
  EXPECT_FALSE(store.Snapshot().dump_complete);
}

}  // namespace
}  // namespace mm
