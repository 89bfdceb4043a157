#include "sources/milvus1x/milvus1x_meta.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Milvus1xTableRow Table(std::string id, int32_t state = 0, std::string owner = "",
                       std::string tag = "") {
  Milvus1xTableRow t;
  t.table_id = std::move(id);
  t.state = state;
  t.dimension = 8;
  t.owner_table = std::move(owner);
  t.partition_tag = std::move(tag);
  return t;
}

Milvus1xFileRow File(std::string table, std::string segment, int32_t type, int64_t rows,
                     std::string file_id = "") {
  Milvus1xFileRow f;
  f.table_id = std::move(table);
  f.segment_id = segment;
  f.file_id = file_id.empty() ? segment : std::move(file_id);
  f.file_type = type;
  f.row_count = rows;
  f.file_size = rows * 40;
  return f;
}

std::vector<std::string> TableIds(const Milvus1xMeta& meta) {
  std::vector<std::string> ids;
  for (const auto& t : meta.tables) ids.push_back(t.table_id);
  return ids;
}

std::vector<std::string> SegmentIds(const Milvus1xTable& t) {
  std::vector<std::string> ids;
  for (const auto& s : t.segments) ids.push_back(s.segment_id);
  return ids;
}

TEST(BuildMilvus1xMetaTest, KeepsLiveTablesAndOrdersPartitionsAfterTheirOwner) {
  std::vector<Milvus1xTableRow> tables = {
      Table("1001", 0, "coll_b", "p1"),  // a partition seen before its owner
      Table("coll_a"),
      Table("coll_b"),
      Table("dropped", 1),
      Table("1002", 0, "dropped", "orphan"),   // owner dropped
      Table("1004", 1, "coll_a", "gone"),      // partition dropped itself
      Table("1005", 0, "coll_a", "pa"),
      Table("1006", 0, "coll_b", "p2"),
      // 1.x reads every state but TO_DELETE (1) as live.
      Table("coll_c", 2),
      Table("1007", 5, "coll_c", "p5"),
      Table("coll_d", -1),
  };
  auto meta = BuildMilvus1xMeta(tables, {}, "test");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_THAT(TableIds(*meta), ElementsAre("coll_a", "1005", "coll_b", "1001", "1006", "coll_c",
                                           "1007", "coll_d"));
  EXPECT_EQ(meta->tables[1].owner_table, "coll_a");
  EXPECT_EQ(meta->tables[1].partition_tag, "pa");
  // A table with no segments is kept: the collection is still created in 2.x.
  for (const auto& t : meta->tables) {
    EXPECT_TRUE(t.segments.empty());
    EXPECT_EQ(t.rows, 0);
  }
  EXPECT_EQ(meta->rows, 0);
}

TEST(BuildMilvus1xMetaTest, StatesOtherThanToDeleteAreLiveWithTheirRows) {
  std::vector<Milvus1xFileRow> files = {File("c2", "1", kFileRaw, 4000),
                                        File("c2", "2", kFileToIndex, 298),
                                        File("p", "3", kFileRaw, 760)};
  auto meta = BuildMilvus1xMeta({Table("c2", 2), Table("p", 2, "c2", "p_alpha")}, files,
                                "meta.sqlite at /db/meta.sqlite");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_THAT(TableIds(*meta), ElementsAre("c2", "p"));
  EXPECT_EQ(meta->tables[0].rows, 4298);
  EXPECT_EQ(meta->rows, 5058);
}

TEST(BuildMilvus1xMetaTest, PartitionWithoutItsOwnerIsDataLossNamingIt) {
  auto meta = BuildMilvus1xMeta(
      {Table("c"), Table("1003", 0, "nowhere", "p_alpha")}, {File("1003", "1", kFileRaw, 760)},
      "meta.sqlite at /db/meta.sqlite");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("meta.sqlite at /db/meta.sqlite"), HasSubstr("'p_alpha'"),
                    HasSubstr("'1003'"), HasSubstr("'nowhere'"), HasSubstr("not a table")));

  // Nor may the owner be a partition: 1.x does not nest them.
  meta = BuildMilvus1xMeta({Table("c"), Table("p1", 0, "c", "a"), Table("p2", 0, "p1", "b")},
                           {}, "t");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr("'p2'"));
}

TEST(BuildMilvus1xMetaTest, UnknownFileTypeIsDataLossNamingTheSegment) {
  auto meta = BuildMilvus1xMeta({Table("c")}, {File("c", "1", kFileRaw, 10),
                                               File("c", "77", 8, 10, "f77")},
                                "t");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("table 'c'"), HasSubstr("segment 77"), HasSubstr("file f77"),
                    HasSubstr("file_type 8")));
  // A dropped table's files do not matter.
  EXPECT_TRUE(BuildMilvus1xMeta({Table("c"), Table("x", 1)}, {File("x", "1", -3, 1)}, "t").ok());
}

TEST(BuildMilvus1xMetaTest, CopiesTableFields) {
  Milvus1xTableRow t = Table("c");
  t.dimension = 512;
  t.metric_type = 3;
  t.engine_type = 10;
  t.index_params = R"({"nlist":1024})";
  auto meta = BuildMilvus1xMeta({t}, {}, "test");
  ASSERT_TRUE(meta.ok()) << meta.status();
  const Milvus1xTable& got = meta->tables[0];
  EXPECT_EQ(got.dimension, 512);
  EXPECT_EQ(got.metric_type, 3);
  EXPECT_EQ(got.engine_type, 10);
  EXPECT_EQ(got.index_params, R"({"nlist":1024})");
  EXPECT_EQ(got.owner_table, "");
  EXPECT_EQ(got.partition_tag, "");
}

TEST(BuildMilvus1xMetaTest, SelectsLiveRawFilesAndCountsTheRest) {
  std::vector<Milvus1xFileRow> files = {
      File("c", "300", kFileRaw, 10),
      File("c", "200", kFileToIndex, 20),
      File("c", "1000", kFileBackup, 30),
      File("c", "1000", kFileIndex, 30, "1001"),  // index of a BACKUP segment: not counted
      File("c", "900", kFileIndex, 5, "901"),     // index whose raw file is gone
      File("c", "900", kFileToDelete, 5, "900"),
      File("c", "50", kFileNew, 0),
      File("c", "60", kFileNewMerge, 0),
      File("c", "70", kFileNewIndex, 0),
      File("c", "80", kFileToDelete, 7),
      File("gone", "1", kFileRaw, 99),     // file of a dropped table
      File("nowhere", "2", kFileRaw, 99),  // file of an unknown table
  };
  auto meta = BuildMilvus1xMeta({Table("c"), Table("gone", 1)}, files, "test");
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->tables.size(), 1u);
  const Milvus1xTable& t = meta->tables[0];
  // Sorted by numeric segment id, not by text ("1000" < "200" as text).
  EXPECT_THAT(SegmentIds(t), ElementsAre("200", "300", "1000"));
  EXPECT_EQ(t.segments[0].file_type, kFileToIndex);
  EXPECT_EQ(t.segments[0].rows, 20);
  EXPECT_EQ(t.segments[0].file_size, 800);
  EXPECT_EQ(t.segments[2].file_type, kFileBackup);
  EXPECT_THAT(t.index_only_segments, ElementsAre("900"));
  EXPECT_EQ(t.skipped_files, 5);  // 900 TO_DELETE, NEW, NEW_MERGE, NEW_INDEX, 80 TO_DELETE
  EXPECT_EQ(t.rows, 60);
  EXPECT_EQ(meta->rows, 60);
}

TEST(BuildMilvus1xMetaTest, SumsRowsOverTablesAndPartitions) {
  std::vector<Milvus1xFileRow> files = {
      File("c", "1", kFileRaw, 10), File("p", "2", kFileRaw, 5), File("d", "3", kFileRaw, 1),
      File("c", "4", kFileBackup, 100)};
  auto meta = BuildMilvus1xMeta({Table("c"), Table("d"), Table("p", 0, "c", "tag")}, files, "t");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_THAT(TableIds(*meta), ElementsAre("c", "p", "d"));
  EXPECT_EQ(meta->tables[0].rows, 110);
  EXPECT_EQ(meta->tables[1].rows, 5);
  EXPECT_EQ(meta->tables[2].rows, 1);
  EXPECT_EQ(meta->rows, 116);
}

TEST(BuildMilvus1xMetaTest, SortsNonNumericSegmentIdsAfterNumericOnes) {
  std::vector<Milvus1xFileRow> files = {File("c", "b", kFileRaw, 1), File("c", "20", kFileRaw, 1),
                                        File("c", "a", kFileRaw, 1), File("c", "3", kFileRaw, 1)};
  auto meta = BuildMilvus1xMeta({Table("c")}, files, "t");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_THAT(SegmentIds(meta->tables[0]), ElementsAre("3", "20", "a", "b"));
}

TEST(BuildMilvus1xMetaTest, DuplicateRawSegmentIsDataLossNamingBothFiles) {
  std::vector<Milvus1xFileRow> files = {File("c", "7", kFileRaw, 1, "f1"),
                                        File("c", "7", kFileBackup, 1, "f2")};
  auto meta = BuildMilvus1xMeta({Table("c")}, files, "meta.sqlite at /x");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("meta.sqlite at /x"), HasSubstr("'c'"), HasSubstr("segment 7"),
                    HasSubstr("f1"), HasSubstr("f2")));
}

TEST(BuildMilvus1xMetaTest, SameSegmentIdInTwoTablesIsFine) {
  std::vector<Milvus1xFileRow> files = {File("c", "7", kFileRaw, 1), File("d", "7", kFileRaw, 2)};
  auto meta = BuildMilvus1xMeta({Table("c"), Table("d")}, files, "t");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->rows, 3);
}

TEST(BuildMilvus1xMetaTest, NoLiveCollectionIsInvalidArgument) {
  for (const auto& tables :
       {std::vector<Milvus1xTableRow>{},
        std::vector<Milvus1xTableRow>{Table("a", 1), Table("p", 0, "a", "t")}}) {
    auto meta = BuildMilvus1xMeta(tables, {}, "meta.sqlite at /db/meta.sqlite");
    ASSERT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
    EXPECT_EQ(meta.status().message(), "meta.sqlite at /db/meta.sqlite: no live collection");
  }
}

TEST(BuildMilvus1xMetaTest, CorruptRowsAreDataLoss) {
  Milvus1xTableRow zero_dim = Table("c");
  zero_dim.dimension = 0;
  EXPECT_TRUE(absl::IsDataLoss(BuildMilvus1xMeta({zero_dim}, {}, "t").status()));
  EXPECT_TRUE(absl::IsDataLoss(BuildMilvus1xMeta({Table("c"), Table("c")}, {}, "t").status()));
  EXPECT_TRUE(
      absl::IsDataLoss(BuildMilvus1xMeta({Table("c")}, {File("c", "", kFileRaw, 1)}, "t").status()));
  EXPECT_TRUE(
      absl::IsDataLoss(BuildMilvus1xMeta({Table("c")}, {File("c", "1", kFileRaw, -1)}, "t").status()));
  // A dropped table's damaged rows do not matter.
  Milvus1xTableRow dropped = Table("x", 1);
  dropped.dimension = 0;
  EXPECT_TRUE(BuildMilvus1xMeta({Table("c"), dropped}, {File("x", "", kFileRaw, -1)}, "t").ok());
}

}  // namespace
}  // namespace mm
