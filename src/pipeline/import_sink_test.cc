// The bulk-import sink driven through the Sink interface, as app/migration.cc drives it,
// against a real Milvus (MM_TEST_MILVUS_ENDPOINT, set by scripts/test.sh); skipped without
// one. pipeline/load_job_test.cc covers its resuming and failure cases.
#include "pipeline/import_sink.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "pipeline/dump_job.h"
#include "pipeline/load_job.h"
#include "pipeline/testing_source.h"
#include "storage/local_storage.h"

namespace mm {
namespace {

TEST(ImportSinkTest, LoadsADumpThroughTheSinkInterface) {
  const char* endpoint = std::getenv("MM_TEST_MILVUS_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    GTEST_SKIP() << "MM_TEST_MILVUS_ENDPOINT is not set (scripts/test.sh sets it)";
  }
  auto client = MilvusClient::Connect({.endpoint = endpoint});
  ASSERT_TRUE(client.ok()) << client.status();
  MilvusClient& milvus = **client;
  std::mt19937_64 rng(std::random_device{}());
  const std::string collection = StrCat("mmsink_", rng() % 1000000000);
  const auto dir = std::filesystem::temp_directory_path() / collection;
  auto storage = LocalStorage::Open(dir.string());
  ASSERT_TRUE(storage.ok()) << storage.status();
  ManifestStore store(storage->get());
  CountingSource source(2, 50, -1, collection);
  auto dumped = RunDump(source, **storage, store,
                        {.workers = 2, .part_bytes = 400, .source_kind = "test",
                         .source_id = "s"});
  ASSERT_TRUE(dumped.ok()) << dumped.status();

  std::unique_ptr<Sink> sink = std::make_unique<ImportSink>(
      &milvus, LoadOptions{.target = "test", .workers = 2, .import_timeout_s = 120,
                           .poll_interval_ms = 200});
  EXPECT_EQ(sink->input(), SinkInput::kParts);
  EXPECT_EQ(sink->kind(), "import");
  // Before the load: the collection does not exist, so it can take the rows.
  auto plans = source.Plan();
  ASSERT_TRUE(plans.ok()) << plans.status();
  EXPECT_TRUE(sink->CheckTargets(**storage, "s", *plans).ok());

  auto loaded = RunLoad(*sink, **storage, store);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (loaded.ok()) {
    EXPECT_EQ(loaded->rows, 100);
    EXPECT_EQ(loaded->parts, dumped->parts);
  }
  EXPECT_EQ(milvus.CountRows(collection).value_or(-1), 100);
  EXPECT_TRUE(store.Snapshot().collections[0].load.verified);
  // The same migration again, with the checkpoint lost: refused before anything is read.
  auto again = ImportSink(&milvus, LoadOptions{.target = "another"})
                   .CheckTargets(**storage, "s", *plans);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;

  milvus.DropCollection(collection).IgnoreError();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace mm
