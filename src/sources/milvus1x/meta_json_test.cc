#include "sources/milvus1x/meta_json.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sources/milvus1x/milvus1x_meta_test_data.h"

namespace mm {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The Go tool's own sample (testfiles/milvus1x meta.json).
constexpr char kGoSample[] =
    R"({"collections":[{"collection":"test1w","metric":1,"rows":10000,"dim":256,"segments":[{"collection":"test1w","segment":"1678354366132931000","dim":256,"rows":10000,"fileSize":10320000}]}],"rows":10000})";

Milvus1xMeta SampleMeta() {
  Milvus1xMeta meta;
  Milvus1xTable c;
  c.table_id = "c1";
  c.dimension = 128;
  c.metric_type = 2;
  c.engine_type = 3;
  c.index_params = R"({"nlist":2048})";
  // Server-generated ids are above 2^53: they must survive as exact integers/strings.
  c.segments = {{"1678354366132931000", 9007199254740993, 4611686018427387904, kFileRaw},
                {"1678354366132931001", 5, 100, kFileBackup}};
  c.rows = 9007199254740993 + 5;
  c.index_only_segments = {"1678354366132931002"};
  c.skipped_files = 0;
  Milvus1xTable p;
  p.table_id = "1678354366132931100";
  p.owner_table = "c1";
  p.partition_tag = "tag with spaces/and-ünïcode";
  p.dimension = 128;
  p.metric_type = 2;
  p.engine_type = 3;
  p.index_params = R"({"nlist":2048})";
  p.segments = {{"1678354366132931200", 7, 70, kFileToIndex}};
  p.rows = 7;
  Milvus1xTable empty;
  empty.table_id = "empty_bin";
  empty.dimension = 64;
  empty.metric_type = 4;
  empty.engine_type = 9;
  meta.tables = {c, p, empty};
  meta.rows = c.rows + p.rows;
  return meta;
}

TEST(MetaJsonTest, ParsesTheGoToolsSample) {
  auto meta = ParseMetaJson(kGoSample, "meta.json");
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->tables.size(), 1u);
  const Milvus1xTable& t = meta->tables[0];
  EXPECT_EQ(t.table_id, "test1w");
  EXPECT_EQ(t.owner_table, "");
  EXPECT_EQ(t.partition_tag, "");
  EXPECT_EQ(t.metric_type, 1);
  EXPECT_EQ(t.dimension, 256);
  EXPECT_EQ(t.engine_type, 1);
  EXPECT_EQ(t.index_params, "");
  EXPECT_EQ(t.rows, 10000);
  ASSERT_EQ(t.segments.size(), 1u);
  EXPECT_EQ(t.segments[0].segment_id, "1678354366132931000");
  EXPECT_EQ(t.segments[0].rows, 10000);
  EXPECT_EQ(t.segments[0].file_size, 10320000);
  EXPECT_EQ(t.segments[0].file_type, kFileRaw);  // Go files carry no fileType
  EXPECT_TRUE(t.index_only_segments.empty());
  EXPECT_EQ(meta->rows, 10000);
}

TEST(MetaJsonTest, RoundTrip) {
  const Milvus1xMeta in = SampleMeta();
  const std::string text = FormatMetaJson(in);
  auto out = ParseMetaJson(text, "meta.json");
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << text;
  EXPECT_EQ(testdata::Summary(*out), testdata::Summary(in));
  EXPECT_EQ(out->tables[1].partition_tag, in.tables[1].partition_tag);
  EXPECT_EQ(out->tables[0].segments[0].file_size, 4611686018427387904);
  EXPECT_EQ(FormatMetaJson(*out), text);
}

TEST(MetaJsonTest, RoundTripOfWhatTheSqlReadersBuild) {
  // The same shape the readers produce: partitions after their owner, sorted segments.
  std::vector<Milvus1xTableRow> tables(2);
  tables[0].table_id = "c";
  tables[0].dimension = 4;
  tables[1].table_id = "p";
  tables[1].dimension = 4;
  tables[1].owner_table = "c";
  tables[1].partition_tag = "t";
  std::vector<Milvus1xFileRow> files = {{"c", "2", "2", kFileRaw, 10, 1},
                                        {"p", "1", "1", kFileBackup, 20, 2},
                                        {"c", "3", "9", kFileIndex, 5, 1}};
  auto built = BuildMilvus1xMeta(tables, files, "t");
  ASSERT_TRUE(built.ok()) << built.status();
  auto parsed = ParseMetaJson(FormatMetaJson(*built), "meta.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(testdata::Summary(*parsed), testdata::Summary(*built));
}

TEST(MetaJsonTest, GoToolCanReadWhatWeWrite) {
  // The Go fields keep their names and types; ours are extra keys it ignores.
  const auto doc = nlohmann::json::parse(FormatMetaJson(SampleMeta()));
  ASSERT_TRUE(doc["rows"].is_number_integer());
  const auto& c = doc["collections"][0];
  EXPECT_EQ(c["collection"], "c1");
  EXPECT_EQ(c["metric"], 2);
  EXPECT_EQ(c["dim"], 128);
  EXPECT_TRUE(c["rows"].is_number_integer());
  EXPECT_EQ(c["segments"][0]["collection"], "c1");
  EXPECT_EQ(c["segments"][0]["segment"], "1678354366132931000");
  EXPECT_EQ(c["segments"][0]["dim"], 128);
  EXPECT_EQ(c["segments"][0]["rows"], 9007199254740993);
  EXPECT_EQ(c["segments"][0]["fileSize"], 4611686018427387904);
  EXPECT_FALSE(c.contains("owner"));
  EXPECT_EQ(doc["collections"][1]["owner"], "c1");
  EXPECT_EQ(doc["collections"][1]["partition"], "tag with spaces/and-ünïcode");
}

TEST(MetaJsonTest, MissingSegmentsMeansNone) {
  auto meta = ParseMetaJson(R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":null},
                                             {"collection":"b","metric":2,"dim":8}]})",
                            "m.json");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->tables.size(), 2u);
  EXPECT_EQ(meta->rows, 0);
}

TEST(MetaJsonTest, ErrorsNameTheJsonPath) {
  struct Case {
    const char* json;
    const char* path;
  };
  const Case cases[] = {
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":"10"}]}]})",
       "collections[0].segments[0].rows is string, expected an integer"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":1,"rows":10}]}]})",
       "collections[0].segments[0].segment is number, expected a string"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"rows":10}]}]})",
       "collections[0].segments[0].segment is missing"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8},{"collection":"b","metric":1}]})",
       "collections[1].dim is missing"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":-8}]})", "collections[0].dim is -8"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":1,"fileType":3}]}]})",
       "collections[0].segments[0].fileType is 3"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":1,"dim":16}]}]})",
       "collections[0].segments[0].dim is 16"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":1},{"segment":"1","rows":2}]}]})",
       "collections[0].segments[1].segment '1' is listed twice"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8},{"collection":"a","metric":1,"dim":8}]})",
       "collections[1].collection 'a' is listed twice"},
      {R"({"collections":[{"collection":"p","owner":"a","metric":1,"dim":8},{"collection":"a","metric":1,"dim":8}]})",
       "collections[0].owner 'a'"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"rows":18446744073709551615}]})",
       "collections[0].rows is 18446744073709551615, out of range"},
      {R"({"collections":{}})", "collections is object, expected an array"},
      {R"({"rows":1})", "collections is missing"},
      {R"([1,2])", "the document is array"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"indexOnlySegments":[5]}]})",
       "collections[0].indexOnlySegments[0] is number"},
      {R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":1}],"indexOnlySegments":["1"]}]})",
       "collections[0].indexOnlySegments[0] '1' is also listed in segments"},
  };
  for (const Case& c : cases) {
    auto meta = ParseMetaJson(c.json, "s3://b/meta.json");
    ASSERT_TRUE(absl::IsDataLoss(meta.status())) << c.json << " gave " << meta.status();
    EXPECT_THAT(std::string(meta.status().message()),
                AllOf(HasSubstr("s3://b/meta.json: "), HasSubstr(c.path)))
        << c.json;
  }
}

TEST(MetaJsonTest, MalformedJsonIsDataLoss) {
  for (const char* text : {"", "{", R"({"collections":[}")", "not json"}) {
    auto meta = ParseMetaJson(text, "meta.json");
    ASSERT_TRUE(absl::IsDataLoss(meta.status())) << text << " gave " << meta.status();
    EXPECT_THAT(std::string(meta.status().message()), HasSubstr("meta.json: not valid JSON"));
  }
}

TEST(MetaJsonTest, NoCollectionIsInvalidArgument) {
  auto meta = ParseMetaJson(R"({"collections":[],"rows":0})", "meta.json");
  ASSERT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
  EXPECT_EQ(meta.status().message(), "meta.json: no live collection");
}

TEST(MetaJsonTest, RowsThatContradictTheSegmentsAreDataLoss) {
  // The issue's case: partition p_alpha still says 760 rows, its segments list is empty.
  auto meta = ParseMetaJson(
      R"({"collections":[{"collection":"c","metric":1,"dim":8,"rows":7,"segments":[{"segment":"1","rows":3},{"segment":"2","rows":4}]},
                         {"collection":"1700","owner":"c","partition":"p_alpha","metric":1,"dim":8,"rows":760,"segments":[]}],"rows":767})",
      "/backup/meta.json");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("/backup/meta.json: collections[1].rows"), HasSubstr("'p_alpha'"),
                    HasSubstr("collection 'c'"), HasSubstr("760"), HasSubstr("hold 0 rows")));

  meta = ParseMetaJson(
      R"({"collections":[{"collection":"a","metric":1,"dim":8,"rows":999,"segments":[{"segment":"1","rows":3}]}]})",
      "meta.json");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("collection 'a'"), HasSubstr("999"), HasSubstr("hold 3 rows")));

  meta = ParseMetaJson(
      R"({"collections":[{"collection":"a","metric":1,"dim":8,"rows":3,"segments":[{"segment":"1","rows":3}]}],"rows":5})",
      "meta.json");
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("meta.json: rows is 5"), HasSubstr("hold 3 rows")));

  // Absent counts are taken from the segments; agreeing ones pass.
  meta = ParseMetaJson(
      R"({"collections":[{"collection":"a","metric":1,"dim":8,"segments":[{"segment":"1","rows":3},{"segment":"2","rows":4}]}],"rows":7})",
      "meta.json");
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->tables[0].rows, 7);
  EXPECT_EQ(meta->rows, 7);
}

}  // namespace
}  // namespace mm
