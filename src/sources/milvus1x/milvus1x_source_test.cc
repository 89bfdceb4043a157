#include "sources/milvus1x/milvus1x_source.h"

#include <gtest/gtest.h>

#include <cstring>

#include "storage/memory_storage.h"

namespace mm {
namespace {

// A u64 byte count, then the payload: the layout of .rv, .uid and deleted_docs.
std::string WithHeader(const std::string& payload) {
  uint64_t n = payload.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + payload;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Writes a float segment whose ids are first..first+rows-1 and whose vector components are
// all equal to the id.
void PutFloatSegment(MemoryStorage& s, const std::string& table, const std::string& seg,
                     int64_t first, int64_t rows, int64_t dim,
                     const std::vector<int32_t>& deleted = {}) {
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  for (int64_t i = 0; i < rows; ++i) {
    ids.push_back(first + i);
    for (int64_t d = 0; d < dim; ++d) vectors.push_back(static_cast<float>(first + i));
  }
  const std::string dir = table + "/" + seg + "/";
  s.Put(dir + seg + ".uid", WithHeader(Bytes(ids)));
  s.Put(dir + seg + ".rv", WithHeader(Bytes(vectors)));
  s.Put(dir + "deleted_docs", WithHeader(Bytes(deleted)));
}

Milvus1xTable Table(const std::string& id, int64_t dim, int32_t metric,
                    std::vector<Milvus1xSegment> segments, const std::string& owner = "",
                    const std::string& tag = "") {
  Milvus1xTable t;
  t.table_id = id;
  t.owner_table = owner;
  t.partition_tag = tag;
  t.dimension = dim;
  t.metric_type = metric;
  for (const auto& s : segments) t.rows += s.rows;
  t.segments = std::move(segments);
  return t;
}

class Milvus1xSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = std::make_shared<MemoryStorage>();
    PutFloatSegment(*storage_, "c1", "100", 1, 10, 4, {7, 2, 7});
    PutFloatSegment(*storage_, "c1", "200", 11, 5, 4);
    PutFloatSegment(*storage_, "c1_p1", "300", 100, 3, 4);
    meta_.tables.push_back(Table("c1", 4, 1, {{"100", 8, 0, kFileRaw}, {"200", 5, 0, kFileBackup}}));
    meta_.tables.push_back(Table("c1_p1", 4, 1, {{"300", 3, 0, kFileRaw}}, "c1", "tag-with-dash"));
    meta_.tables.push_back(Table("bits", 64, 5, {}));
  }

  Result<std::unique_ptr<Milvus1xSource>> Open(Milvus1xSourceOptions options = {}) {
    return Milvus1xSource::Open(meta_, storage_, options);
  }

  std::shared_ptr<MemoryStorage> storage_;
  Milvus1xMeta meta_;
};

TEST_F(Milvus1xSourceTest, PlansCollectionsPartitionsAndSegments) {
  auto source = Open();
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok()) << plans.status();
  ASSERT_EQ(plans->size(), 2u);

  const CollectionPlan& c1 = (*plans)[0];
  EXPECT_EQ(c1.schema->collection, "c1");
  EXPECT_EQ(c1.metric_type, "L2");
  ASSERT_EQ(c1.schema->fields.size(), 2u);
  EXPECT_EQ(c1.schema->fields[0].name, "id");
  EXPECT_TRUE(c1.schema->fields[0].primary_key);
  EXPECT_FALSE(c1.schema->fields[0].auto_id);
  EXPECT_EQ(c1.schema->fields[1].name, "data");
  EXPECT_EQ(c1.schema->fields[1].type, DataType::kFloatVector);
  EXPECT_EQ(c1.schema->fields[1].dim, 4);
  EXPECT_EQ(c1.partitions, std::vector<std::string>{"tag_with_dash"});
  EXPECT_EQ(c1.total_rows, 16);
  // Small segments of one table share a task; tables never do.
  ASSERT_EQ(c1.tasks.size(), 2u);
  EXPECT_EQ(c1.tasks[0].id, "c1/100+1");
  EXPECT_EQ(c1.tasks[0].partition, "");
  EXPECT_EQ(c1.tasks[0].rows, 13);
  EXPECT_EQ(c1.tasks[1].id, "c1_p1/300");
  EXPECT_EQ(c1.tasks[1].partition, "tag_with_dash");
  EXPECT_EQ(c1.tasks[1].rows, 3);

  // An empty binary TANIMOTO collection is still created, with JACCARD for its index.
  const CollectionPlan& bits = (*plans)[1];
  EXPECT_EQ(bits.schema->fields[1].type, DataType::kBinaryVector);
  EXPECT_EQ(bits.schema->fields[1].dim, 64);
  EXPECT_EQ(bits.metric_type, "JACCARD");
  EXPECT_TRUE(bits.tasks.empty());
  EXPECT_EQ(bits.total_rows, 0);
}

TEST_F(Milvus1xSourceTest, TaskStreamsLiveRowsIntoItsPartition) {
  auto source = Open();
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  ASSERT_TRUE(plans.ok());
  std::vector<int64_t> ids;
  for (const SourceTask& task : (*plans)[0].tasks) {
    auto reader = (*source)->OpenTask(task);
    ASSERT_TRUE(reader.ok()) << reader.status();
    while (true) {
      auto batch = (*reader)->Next();
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (!batch->has_value()) break;
      EXPECT_EQ((*batch)->partition(), task.partition);
      for (int64_t i = 0; i < (*batch)->num_rows(); ++i) {
        int64_t id = (*batch)->column(0).scalar<int64_t>(i);
        float v;
        std::memcpy(&v, (*batch)->column(1).row(i), sizeof v);
        EXPECT_EQ(v, static_cast<float>(id));
        ids.push_back(id);
      }
    }
  }
  // Offsets 2 and 7 of segment 100 (ids 3 and 8) were deleted.
  std::vector<int64_t> expected{1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 100, 101, 102};
  EXPECT_EQ(ids, expected);
}

TEST_F(Milvus1xSourceTest, TaskBytesSplitsSegmentsIntoTasks) {
  Milvus1xSourceOptions options;
  options.task_bytes = 10 * (8 + 4 * 4);  // room for 10 rows: segments of 8 and 5 split
  auto source = Open(options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  const auto& tasks = (*plans)[0].tasks;
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].id, "c1/100");
  EXPECT_EQ(tasks[1].id, "c1/200");
  EXPECT_EQ(tasks[1].rows, 5);
  auto reader = (*source)->OpenTask(tasks[1]);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto batch = (*reader)->Next();
  ASSERT_TRUE(batch.ok() && batch->has_value());
  EXPECT_EQ((*batch)->column(0).scalar<int64_t>(0), 11);
}

TEST_F(Milvus1xSourceTest, SelectsCollectionsAndNamesUnknownOnes) {
  Milvus1xSourceOptions options;
  options.collections = {"bits"};
  auto source = Open(options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  ASSERT_EQ(plans->size(), 1u);
  EXPECT_EQ((*plans)[0].schema->collection, "bits");

  options.collections = {"bits", "nope"};
  source = Open(options);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(source.status().message()).find("nope"), std::string::npos);
}

TEST_F(Milvus1xSourceTest, NameMapsApplyAndCollisionsAreRefused) {
  Milvus1xSourceOptions options;
  options.collection_name_map = {{"c1", "renamed"}};
  options.partition_name_map = {{"tag-with-dash", "p_one"}};
  auto source = Open(options);
  ASSERT_TRUE(source.ok()) << source.status();
  auto plans = (*source)->Plan();
  EXPECT_EQ((*plans)[0].schema->collection, "renamed");
  EXPECT_EQ((*plans)[0].partitions, std::vector<std::string>{"p_one"});
  EXPECT_EQ((*plans)[0].tasks[1].partition, "p_one");

  options.collection_name_map = {{"c1", "bits"}};
  source = Open(options);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(source.status().message()).find("nameMap"), std::string::npos);

  options.collection_name_map = {{"c1", "bad-name"}};
  source = Open(options);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(source.status().message()).find("bad-name"), std::string::npos);

  options.collection_name_map = {};
  options.partition_name_map = {{"tag-with-dash", "_default"}};
  source = Open(options);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(Milvus1xSourceTest, TwoTagsMappingToOneNameAreRefused) {
  PutFloatSegment(*storage_, "c1_p2", "400", 200, 1, 4);
  meta_.tables.push_back(Table("c1_p2", 4, 1, {{"400", 1, 0, kFileRaw}}, "c1", "tag.with.dash"));
  auto source = Open();
  ASSERT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(source.status().message()).find("tag.with.dash"), std::string::npos);
}

TEST_F(Milvus1xSourceTest, MissingAndIndexOnlySegmentsAreNamedBeforeAnyData) {
  meta_.tables[0].segments.push_back({"999", 4, 0, kFileRaw});
  auto source = Open();
  ASSERT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(source.status().message()).find("c1/999"), std::string::npos);

  storage_->Put("c1/999/1234567", "index bytes");
  source = Open();
  ASSERT_EQ(source.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(source.status().message()).find("c1/999"), std::string::npos);

  meta_.tables[0].segments.pop_back();
  meta_.tables[1].index_only_segments.push_back("555");
  source = Open();
  ASSERT_EQ(source.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(source.status().message()).find("c1_p1/555"), std::string::npos);
}

TEST_F(Milvus1xSourceTest, UnknownMetricIsRefused) {
  meta_.tables[2].metric_type = 9;
  auto source = Open();
  ASSERT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(source.status().message()).find("metric_type 9"), std::string::npos);
  EXPECT_NE(std::string(source.status().message()).find("'bits'"), std::string::npos);
}

}  // namespace
}  // namespace mm
