#include "core/schema.h"

#include <gtest/gtest.h>

#include "core/batch.h"

namespace mm {
namespace {

Schema FaissLike(int64_t dim, DataType vec = DataType::kFloatVector) {
  Schema s;
  s.collection = "c";
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "data", .type = vec, .dim = dim});
  return s;
}

TEST(SchemaTest, ValidFloatSchema) { EXPECT_TRUE(FaissLike(8).Validate().ok()); }

TEST(SchemaTest, BinaryDimMustBeMultipleOf8) {
  auto st = FaissLike(12, DataType::kBinaryVector).Validate();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'data'"), std::string_view::npos);
}

TEST(SchemaTest, NeedsOnePrimaryKey) {
  Schema s = FaissLike(8);
  s.fields[0].primary_key = false;
  EXPECT_EQ(s.Validate().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SchemaTest, FixedWidths) {
  Schema s = FaissLike(128);
  EXPECT_EQ(s.fields[0].FixedWidth(), 8);
  EXPECT_EQ(s.fields[1].FixedWidth(), 512);
  EXPECT_EQ(FaissLike(64, DataType::kBinaryVector).fields[1].FixedWidth(), 8);
}

TEST(BatchTest, ColumnsGrowTogether) {
  auto schema = std::make_shared<const Schema>(FaissLike(2));
  Batch b(schema);
  int64_t ids[2] = {7, 9};
  float vecs[4] = {1, 2, 3, 4};
  b.column(0).AppendFixed(ids, 2);
  b.column(1).AppendFixed(vecs, 2);
  EXPECT_EQ(b.num_rows(), 2);
  EXPECT_TRUE(b.Validate().ok());
  EXPECT_EQ(b.column(0).scalar<int64_t>(1), 9);
  b.column(0).AppendFixed(ids, 1);
  EXPECT_EQ(b.Validate().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace mm
