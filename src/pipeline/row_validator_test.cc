#include "pipeline/row_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace mm {
namespace {

using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

SchemaPtr MakeSchema(std::vector<FieldSchema> fields) {
  auto s = std::make_shared<Schema>();
  s->collection = "coll";
  s->fields = std::move(fields);
  return s;
}

FieldSchema Pk() { return {.name = "id", .type = DataType::kInt64, .primary_key = true}; }

// A batch of `vectors` (4 floats each) with ids 100, 101, ...
Batch FloatBatch(const SchemaPtr& schema, const std::vector<std::vector<float>>& vectors) {
  Batch b(schema);
  for (size_t i = 0; i < vectors.size(); ++i) {
    int64_t id = 100 + static_cast<int64_t>(i);
    b.column(0).AppendFixed(&id, 1);
    b.column(1).AppendFixed(vectors[i].data(), 1);
  }
  return b;
}

TEST(RowValidatorTest, CleanBatchPassesUntouched) {
  auto schema = MakeSchema({Pk(), {.name = "v", .type = DataType::kFloatVector, .dim = 4}});
  Batch b = FloatBatch(schema, {{1, 2, 3, 4}, {-0.0f, 1e38f, -1e38f, 1e-45f}});
  std::vector<int64_t> kept;
  ASSERT_TRUE(RowValidator(schema, InvalidRows::kFail, "t").Check(&b, 0, &kept).ok());
  EXPECT_EQ(b.num_rows(), 2);
  EXPECT_TRUE(kept.empty());
  EXPECT_TRUE(b.skips().empty());
}

TEST(RowValidatorTest, FailNamesCollectionPkFieldAndComponent) {
  auto schema = MakeSchema({Pk(), {.name = "v", .type = DataType::kFloatVector, .dim = 4}});
  Batch b = FloatBatch(schema, {{1, 2, 3, 4}, {1, 2, 3, kNaN}, {kInf, 0, 0, 0}});
  std::vector<int64_t> kept;
  Status st = RowValidator(schema, InvalidRows::kFail, "t").Check(&b, 0, &kept);
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("collection 'coll': id 101: field 'v' component 3 is NaN"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("dumper.invalidRows: skip"));
}

TEST(RowValidatorTest, FailNamesTheFirstInvalidRowAcrossFields) {
  auto schema = MakeSchema({Pk(), {.name = "a", .type = DataType::kFloatVector, .dim = 1},
                            {.name = "b", .type = DataType::kFloatVector, .dim = 1}});
  Batch b(schema);
  for (int64_t id : {1, 2, 3}) {
    float a = id == 3 ? kNaN : 0.f, bb = id == 2 ? -kInf : 0.f;
    b.column(0).AppendFixed(&id, 1);
    b.column(1).AppendFixed(&a, 1);
    b.column(2).AppendFixed(&bb, 1);
  }
  std::vector<int64_t> kept;
  Status st = RowValidator(schema, InvalidRows::kFail, "t").Check(&b, 0, &kept);
  EXPECT_THAT(std::string(st.message()), HasSubstr("id 2: field 'b' component 0 is -Inf"));
}

TEST(RowValidatorTest, SkipDropsRowsFromEveryColumnAlike) {
  auto schema = MakeSchema({{.name = "pk", .type = DataType::kVarChar, .primary_key = true,
                             .max_length = 64},
                            {.name = "title", .type = DataType::kVarChar, .max_length = 64},
                            {.name = "v", .type = DataType::kFloatVector, .dim = 2},
                            {.name = "score", .type = DataType::kDouble},
                            {.name = "n", .type = DataType::kInt32}});
  Batch b(schema);
  const double dnan = std::numeric_limits<double>::quiet_NaN();
  for (int32_t i = 0; i < 6; ++i) {
    b.column(0).AppendValue(StrCat("k", i));
    b.column(1).AppendValue(std::string(static_cast<size_t>(i + 1), static_cast<char>('a' + i)));
    float v[2] = {static_cast<float>(i), i == 1 ? kInf : 0.5f};
    b.column(2).AppendFixed(v, 1);
    double d = i == 4 ? -dnan : i * 0.25;
    b.column(3).AppendFixed(&d, 1);
    b.column(4).AppendFixed(&i, 1);
  }
  std::vector<int64_t> kept;
  ASSERT_TRUE(RowValidator(schema, InvalidRows::kSkip, "t").Check(&b, 0, &kept).ok());
  const Batch& out = b;
  ASSERT_TRUE(out.Validate().ok());
  EXPECT_EQ(kept, (std::vector<int64_t>{0, 2, 3, 5}));
  ASSERT_EQ(out.num_rows(), 4);
  for (int64_t r = 0; r < 4; ++r) {
    const int32_t i = static_cast<int32_t>(kept[static_cast<size_t>(r)]);
    EXPECT_EQ(out.column(0).value(r), StrCat("k", i));
    EXPECT_EQ(out.column(1).value(r),
              std::string(static_cast<size_t>(i + 1), static_cast<char>('a' + i)));
    EXPECT_EQ(out.column(2).scalar<float>(r), static_cast<float>(i));
    EXPECT_EQ(out.column(3).scalar<double>(r), i * 0.25);
    EXPECT_EQ(out.column(4).scalar<int32_t>(r), i);
  }
  ASSERT_EQ(out.skips().size(), 2u);
  EXPECT_EQ(out.skips()[0].before, 1);  // row 1 came after kept row 0
  EXPECT_EQ(out.skips()[0].row.row, "pk 'k1'");
  EXPECT_EQ(out.skips()[0].row.reason, "field 'v' component 1 is +Inf");
  EXPECT_EQ(out.skips()[1].before, 3);  // row 4 came after kept rows 0, 2, 3
  EXPECT_EQ(out.skips()[1].row.reason, "field 'score' is NaN");
}

TEST(RowValidatorTest, KeepRowsPlacesEarlierSkipsAmongTheNewOnes) {
  auto schema = MakeSchema({Pk(), {.name = "v", .type = DataType::kFloatVector, .dim = 4}});
  Batch b(schema);
  auto add = [&](int64_t id, float x) {
    float v[4] = {x, 0, 0, 0};
    b.column(0).AppendFixed(&id, 1);
    b.column(1).AppendFixed(v, 1);
  };
  add(1, 0);
  b.AddSkip({"document 'a'", "before row 1"});
  add(2, kNaN);
  add(3, 0);
  b.AddSkip({"document 'b'", "after row 2"});
  add(4, 0);
  std::vector<int64_t> kept;
  ASSERT_TRUE(RowValidator(schema, InvalidRows::kSkip, "t").Check(&b, 0, &kept).ok());
  ASSERT_EQ(b.skips().size(), 3u);
  EXPECT_EQ(b.skips()[0].row.row, "document 'a'");
  EXPECT_EQ(b.skips()[0].before, 1);
  EXPECT_EQ(b.skips()[1].row.row, "id 2");
  EXPECT_EQ(b.skips()[1].before, 1);
  EXPECT_EQ(b.skips()[2].row.row, "document 'b'");
  EXPECT_EQ(b.skips()[2].before, 2);
}

TEST(RowValidatorTest, HalfPrecisionAndSparseVectors) {
  auto schema = MakeSchema({Pk(), {.name = "h", .type = DataType::kFloat16Vector, .dim = 2},
                            {.name = "bh", .type = DataType::kBFloat16Vector, .dim = 2},
                            {.name = "sp", .type = DataType::kSparseFloatVector},
                            {.name = "f", .type = DataType::kFloat}});
  Batch b(schema);
  // Float16: 0x3C00 = 1.0, 0x7C00 = +Inf, 0xFE00 = NaN. BFloat16: 0x3F80 = 1.0,
  // 0xFF80 = -Inf, 0x7FC0 = NaN.
  struct Row { uint16_t h[2]; uint16_t bh[2]; uint32_t sp_index; float sp_value; float f; };
  const Row rows[] = {{{0x3C00, 0x3C00}, {0x3F80, 0x3F80}, 7, 1.f, 1.f},
                      {{0x3C00, 0x7C00}, {0x3F80, 0x3F80}, 7, 1.f, 1.f},
                      {{0x3C00, 0xFE00}, {0x3F80, 0x3F80}, 7, 1.f, 1.f},
                      {{0x3C00, 0x3C00}, {0xFF80, 0x3F80}, 7, 1.f, 1.f},
                      {{0x3C00, 0x3C00}, {0x3F80, 0x7FC0}, 7, 1.f, 1.f},
                      {{0x3C00, 0x3C00}, {0x3F80, 0x3F80}, 123456, kNaN, 1.f},
                      {{0x3C00, 0x3C00}, {0x3F80, 0x3F80}, 7, 1.f, -kInf}};
  int64_t id = 0;
  for (const Row& r : rows) {
    b.column(0).AppendFixed(&id, 1);
    ++id;
    b.column(1).AppendFixed(r.h, 1);
    b.column(2).AppendFixed(r.bh, 1);
    char pair[8];
    std::memcpy(pair, &r.sp_index, 4);
    std::memcpy(pair + 4, &r.sp_value, 4);
    b.column(3).AppendValue(std::string_view(pair, 8));
    b.column(4).AppendFixed(&r.f, 1);
  }
  std::vector<int64_t> kept;
  ASSERT_TRUE(RowValidator(schema, InvalidRows::kSkip, "t").Check(&b, 0, &kept).ok());
  EXPECT_EQ(kept, (std::vector<int64_t>{0}));
  ASSERT_EQ(b.num_rows(), 1);
  ASSERT_TRUE(b.Validate().ok());
  EXPECT_EQ(b.column(3).value(0).size(), 8u);
  std::vector<std::string> reasons;
  for (const auto& s : b.skips()) reasons.push_back(s.row.row + ": " + s.row.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "id 1: field 'h' component 1 is +Inf",
                         "id 2: field 'h' component 1 is NaN",
                         "id 3: field 'bh' component 0 is -Inf",
                         "id 4: field 'bh' component 1 is NaN",
                         "id 5: field 'sp' component 123456 is NaN",
                         "id 6: field 'f' is -Inf"}));
}

TEST(RowValidatorTest, AutoIdRowsAreNamedByRowNumber) {
  auto schema = MakeSchema({{.name = "id", .type = DataType::kInt64, .primary_key = true,
                             .auto_id = true},
                            {.name = "v", .type = DataType::kFloatVector, .dim = 4}});
  Batch b = FloatBatch(schema, {{1, 2, 3, 4}, {1, kNaN, 3, 4}});
  std::vector<int64_t> kept;
  Status st = RowValidator(schema, InvalidRows::kFail, "rows-0-100").Check(&b, 40, &kept);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("row 41 of task rows-0-100: field 'v' component 1 is NaN"));
}

// A reader of fixed batches whose positions are "<batch>:<row>".
class FixedReader : public BatchReader {
 public:
  FixedReader(SchemaPtr schema, std::vector<Batch> batches)
      : schema_(std::move(schema)), batches_(std::move(batches)) {}
  const SchemaPtr& schema() const override { return schema_; }
  Result<std::optional<Batch>> Next() override {
    if (next_ == batches_.size()) return std::optional<Batch>();
    return std::optional<Batch>(std::move(batches_[next_++]));
  }
  std::string PositionAfter(int64_t row) const override { return StrCat(next_ - 1, ":", row); }

 private:
  SchemaPtr schema_;
  std::vector<Batch> batches_;
  size_t next_ = 0;
};

TEST(ValidatingBatchReaderTest, PositionsNameTheSourcesRows) {
  auto schema = MakeSchema({Pk(), {.name = "v", .type = DataType::kFloatVector, .dim = 4}});
  std::vector<Batch> batches;
  batches.push_back(FloatBatch(schema, {{0, 0, 0, 0}, {kNaN, 0, 0, 0}, {0, 0, 0, 0}}));
  batches.push_back(FloatBatch(schema, {{0, 0, 0, 0}, {0, 0, 0, 0}}));
  ValidatingBatchReader reader(std::make_unique<FixedReader>(schema, std::move(batches)),
                               InvalidRows::kSkip, "t", 0);
  auto first = reader.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->num_rows(), 2);
  EXPECT_EQ(reader.PositionAfter(0), "0:0");
  EXPECT_EQ(reader.PositionAfter(1), "0:2");  // the row after the dropped one
  auto second = reader.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(reader.PositionAfter(1), "1:1");
  auto end = reader.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace mm
