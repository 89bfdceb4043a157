// RunLoad against a real Milvus with local storage (imports by absolute path), set by
// MM_TEST_MILVUS_ENDPOINT as scripts/test.sh does; skipped without one.
#include "pipeline/load_job.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "pipeline/dump_job.h"
#include "pipeline/testing_source.h"
#include "storage/local_storage.h"

namespace mm {
namespace {

class LoadJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("MM_TEST_MILVUS_ENDPOINT");
    if (endpoint == nullptr || *endpoint == '\0') {
      GTEST_SKIP() << "MM_TEST_MILVUS_ENDPOINT is not set (scripts/test.sh sets it)";
    }
    auto client = MilvusClient::Connect({.endpoint = endpoint});
    ASSERT_TRUE(client.ok()) << client.status();
    milvus_ = std::move(*client);
    std::mt19937_64 rng(std::random_device{}());
    collection_ = StrCat("mmload_", rng() % 1000000000);
    dir_ = std::filesystem::temp_directory_path() / collection_;
    auto storage = LocalStorage::Open(dir_.string());
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
    store_ = std::make_unique<ManifestStore>(storage_.get());
    // 2 tasks of 50 rows, 25 rows a part: 4 parts (Milvus 2.3 runs imports one by one).
    CountingSource source(2, 50, -1, collection_);
    auto dumped = RunDump(source, *storage_, *store_,
                          {.workers = 2, .part_bytes = 400, .source_kind = "test", .source_id = "s"});
    ASSERT_TRUE(dumped.ok()) << dumped.status();
    ASSERT_EQ(dumped->parts, 4);
  }
  void TearDown() override {
    if (milvus_) milvus_->DropCollection(collection_).IgnoreError();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  LoadOptions Options() const {
    return {.target = "test", .workers = 3, .import_timeout_s = 120, .poll_interval_ms = 200};
  }

  std::unique_ptr<MilvusClient> milvus_;
  std::string collection_;
  std::filesystem::path dir_;
  std::unique_ptr<LocalStorage> storage_;
  std::unique_ptr<ManifestStore> store_;
};

TEST_F(LoadJobTest, ImportsEveryPartAndChecksTheCount) {
  auto loaded = RunLoad(*milvus_, *storage_, *store_, Options());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->rows, 100);
  EXPECT_EQ(loaded->parts, 4);
  EXPECT_EQ(milvus_->CountRows(collection_).value(), 100);
  EXPECT_TRUE(store_->Snapshot().collections[0].load.verified);
}

TEST_F(LoadJobTest, ResumedLoadWaitsForASubmittedImportInsteadOfResubmitting) {
  // A load that stopped right after submitting one part: the collection exists and the
  // checkpoint holds the part's Milvus task id, not yet completed.
  Manifest m = store_->Snapshot();
  ASSERT_TRUE(milvus_->CreateCollection(m.collections[0].schema, 1, "").ok());
  const PartInfo part = m.collections[0].tasks.at("t0").parts[0];
  std::vector<std::string> files;
  for (const auto& f : part.files) files.push_back(storage_->ImportPath(f));
  auto task_ids = milvus_->Import(collection_, "", files);
  ASSERT_TRUE(task_ids.ok()) << task_ids.status();
  ASSERT_TRUE(store_->Update([&](Manifest& mm) {
    LoadState& load = mm.collections[0].load;
    load.target = "test";
    load.prepared = true;
    load.created = true;
    load.imports[part.dir].task_ids = *task_ids;
  }).ok());

  auto loaded = RunLoad(*milvus_, *storage_, *store_, Options());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // Resubmitting would have made it 125.
  EXPECT_EQ(milvus_->CountRows(collection_).value(), 100);
  EXPECT_EQ(store_->Snapshot().collections[0].load.imports.at(part.dir).task_ids, *task_ids);
}

TEST_F(LoadJobTest, ExistingCollectionFailsByDefaultAndIsLeftAlone) {
  ASSERT_TRUE(RunLoad(*milvus_, *storage_, *store_, Options()).ok());
  // Another migration into the same collection name, ifExists: fail.
  auto again = RunLoad(*milvus_, *storage_, *store_, {.target = "another", .workers = 1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find(collection_), absl::string_view::npos);
  EXPECT_EQ(milvus_->CountRows(collection_).value(), 100);
}

TEST_F(LoadJobTest, AppendOfTheSameMigrationAgainIsRefused) {
  ASSERT_TRUE(RunLoad(*milvus_, *storage_, *store_, Options()).ok());
  LoadOptions append = Options();
  append.target = "another";  // the checkpoint no longer knows the load
  append.if_exists = IfCollectionExists::kAppend;
  auto again = RunLoad(*milvus_, *storage_, *store_, append);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
  EXPECT_NE(again.status().message().find("twice"), absl::string_view::npos) << again.status();
  EXPECT_EQ(milvus_->CountRows(collection_).value(), 100);
}

TEST_F(LoadJobTest, AppendIntoACollectionOfAnotherSchemaIsRefusedBeforeAnyImport) {
  Schema other = store_->Snapshot().collections[0].schema;
  for (auto& f : other.fields) {
    if (IsVectorType(f.type)) f.dim *= 2;
  }
  ASSERT_TRUE(milvus_->CreateCollection(other, 1, "").ok());
  LoadOptions append = Options();
  append.if_exists = IfCollectionExists::kAppend;
  auto loaded = RunLoad(*milvus_, *storage_, *store_, append);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition) << loaded.status();
  EXPECT_NE(loaded.status().message().find("dim"), absl::string_view::npos) << loaded.status();
  EXPECT_TRUE(milvus_->ListImportTasks(collection_).value().empty());
  EXPECT_TRUE(store_->Snapshot().collections[0].load.imports.empty());
}

TEST_F(LoadJobTest, ResumedLoadFindsAnImportSubmittedButNotRecorded) {
  // A load that died after Milvus accepted a part's import and before it wrote the task id:
  // the checkpoint holds only the intent.
  Manifest m = store_->Snapshot();
  ASSERT_TRUE(milvus_->CreateCollection(m.collections[0].schema, 1, "").ok());
  const PartInfo part = m.collections[0].tasks.at("t0").parts[0];
  std::vector<std::string> files;
  for (const auto& f : part.files) files.push_back(storage_->ImportPath(f));
  ASSERT_TRUE(store_->Update([&](Manifest& mm) {
    LoadState& load = mm.collections[0].load;
    load.target = "test";
    load.prepared = true;
    load.created = true;
    load.imports[part.dir].intent_token = "t";
    load.imports[part.dir].intent_unix_s = static_cast<int64_t>(std::time(nullptr));
  }).ok());
  auto task_ids = milvus_->Import(collection_, "", files);
  ASSERT_TRUE(task_ids.ok()) << task_ids.status();

  auto loaded = RunLoad(*milvus_, *storage_, *store_, Options());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(milvus_->CountRows(collection_).value(), 100);  // 125 if submitted again
  EXPECT_EQ(store_->Snapshot().collections[0].load.imports.at(part.dir).task_ids, *task_ids);
}

TEST_F(LoadJobTest, FailedImportDropsTheCollectionItCreated) {
  // A part whose file was overwritten after the dump with bytes that are not .npy, at its
  // recorded size (so the part check passes and Milvus itself refuses the import; a lost or
  // truncated file is refused before any import, see PartCheckTest).
  const PartInfo part = store_->Snapshot().collections[0].tasks.at("t1").parts[1];
  const std::filesystem::path damaged = dir_ / part.files[1];
  const auto size = std::filesystem::file_size(damaged);
  {
    std::ofstream out(damaged, std::ios::binary | std::ios::trunc);
    out << std::string(size, '\0');
  }
  ASSERT_EQ(std::filesystem::file_size(damaged), size);
  LoadOptions options = Options();
  options.workers = 1;
  auto loaded = RunLoad(*milvus_, *storage_, *store_, options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(loaded.status().message().find(part.dir), absl::string_view::npos) << loaded.status();
  EXPECT_FALSE(milvus_->HasCollection(collection_).value());
  EXPECT_FALSE(store_->Snapshot().collections[0].load.prepared);
}


// A schema with a VarChar field is dumped as JSON-rows parts (one rows.json each); the
// load imports each with exactly that one file.
TEST(LoadJobJsonRowsTest, ImportsJsonRowsParts) {
  const char* endpoint = std::getenv("MM_TEST_MILVUS_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') {
    GTEST_SKIP() << "MM_TEST_MILVUS_ENDPOINT is not set (scripts/test.sh sets it)";
  }
  auto client = MilvusClient::Connect({.endpoint = endpoint});
  ASSERT_TRUE(client.ok()) << client.status();
  std::mt19937_64 rng(std::random_device{}());
  const std::string collection = StrCat("mmloadjson_", rng() % 1000000000);
  const auto dir = std::filesystem::temp_directory_path() / collection;
  auto storage = LocalStorage::Open(dir.string());
  ASSERT_TRUE(storage.ok()) << storage.status();
  ManifestStore store(storage->get());
  TextSource source(1000, collection);
  auto dumped = RunDump(source, **storage, store,
                        {.workers = 1, .part_bytes = 40000, .source_kind = "test",
                         .source_id = "s"});
  ASSERT_TRUE(dumped.ok()) << dumped.status();
  ASSERT_GE(dumped->parts, 2);
  const Manifest dumped_manifest = store.Snapshot();
  for (const auto& part : dumped_manifest.collections[0].tasks.at("t0").parts) {
    ASSERT_EQ(part.files, std::vector<std::string>{part.dir + "/rows.json"});
  }
  auto loaded = RunLoad(**client, **storage, store,
                        {.target = "test", .workers = 2, .import_timeout_s = 120,
                         .poll_interval_ms = 200});
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (loaded.ok()) {
    EXPECT_EQ(loaded->rows, 1000);
    EXPECT_EQ(loaded->parts, dumped->parts);
  }
  EXPECT_EQ((*client)->CountRows(collection).value_or(-1), 1000);
  (*client)->DropCollection(collection).IgnoreError();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace mm
