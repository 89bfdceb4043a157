#include "server/job_store.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mm {
namespace {

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("mm_job_store_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TEST(JobStoreTest, KeepsJobsAcrossReopenNewestFirst) {
  const std::string dir = TempDir();
  {
    auto store = JobStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 5; ++i) {
      JobRecord r{.id = "dump_" + std::to_string(i), .kind = "dump", .status = "running",
                  .created_ms = 1000 + i, .updated_ms = 1000 + i};
      ASSERT_TRUE((*store)->Put(r).ok());
    }
    ASSERT_TRUE((*store)->UpdateState("dump_2", "success", "", "{\"rowsDone\":3}", 2000).ok());
  }
  auto store = JobStore::Open(dir);
  ASSERT_TRUE(store.ok());
  auto page = (*store)->List(1, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, "dump_3");
  EXPECT_EQ((*page)[1].id, "dump_2");
  EXPECT_EQ((*page)[1].status, "success");
  EXPECT_EQ((*page)[1].progress_json, "{\"rowsDone\":3}");
  EXPECT_EQ(*(*store)->Count(), 5);
  EXPECT_EQ((*store)->WithStatus("running")->size(), 4u);
  EXPECT_FALSE((*(*store)->Get("nope")).has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mm
