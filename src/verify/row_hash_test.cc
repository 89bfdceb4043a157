#include "verify/row_hash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>

namespace mm {
namespace {

SchemaPtr TestSchema() {
  auto s = std::make_shared<Schema>();
  s->collection = "c";
  s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s->fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = 2});
  s->fields.push_back({.name = "name", .type = DataType::kVarChar, .max_length = 20});
  s->fields.push_back({.name = "meta", .type = DataType::kJson});
  s->fields.push_back({.name = "x", .type = DataType::kFloat});
  return s;
}

Batch OneRow(int64_t id, float v0, const std::string& name, const std::string& json, float x) {
  Batch b(TestSchema());
  b.column(0).AppendFixed(&id, 1);
  float v[2] = {v0, 2.5f};
  b.column(1).AppendFixed(v, 1);
  b.column(2).AppendValue(name);
  b.column(3).AppendValue(json);
  b.column(4).AppendFixed(&x, 1);
  return b;
}

std::vector<Hash128> Fields(const Batch& b) {
  std::vector<Hash128> out;
  for (size_t c = 0; c < b.num_columns(); ++c) {
    out.push_back(HashFieldValue(b.schema()->fields[c], b.column(c), 0));
  }
  return out;
}

TEST(RowHashTest, DigestIgnoresOrderButCountsRepeats) {
  RowDigest a, b;
  const Hash128 x = HashBytes("x", 1), y = HashBytes("y", 1);
  a.Add(x);
  a.Add(y);
  b.Add(y);
  b.Add(x);
  EXPECT_EQ(a, b);
  RowDigest twice;
  twice.Add(x);
  twice.Add(x);
  RowDigest none;
  EXPECT_FALSE(twice == none);  // a xor would cancel
  RowDigest merged;
  merged.Merge(a);
  EXPECT_EQ(merged, a);
  EXPECT_EQ(merged.rows, 2);
}

TEST(RowHashTest, SumCarriesIntoTheHighWord) {
  RowDigest d;
  d.Add({.lo = ~0ULL, .hi = 0});
  d.Add({.lo = 1, .hi = 0});
  EXPECT_EQ(d.sum.lo, 0u);
  EXPECT_EQ(d.sum.hi, 1u);
}

TEST(RowHashTest, OneUlpInAVectorChangesTheHash) {
  const float v = 0.1f;
  float next = std::nextafter(v, 1.0f);
  auto a = Fields(OneRow(1, v, "n", "{}", 1));
  auto b = Fields(OneRow(1, next, "n", "{}", 1));
  EXPECT_FALSE(a[1] == b[1]);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_FALSE(HashRow("_default", a) == HashRow("_default", b));
}

TEST(RowHashTest, VectorsCompareBitsNotValues) {
  // -0.0f == 0.0f as floats, but their bits differ: vectors compare bit for bit.
  auto a = Fields(OneRow(1, 0.0f, "n", "{}", 1));
  auto b = Fields(OneRow(1, -0.0f, "n", "{}", 1));
  EXPECT_FALSE(a[1] == b[1]);
  // Scalars compare by value: -0 equals +0.
  auto c = Fields(OneRow(1, 1, "n", "{}", 0.0f));
  auto d = Fields(OneRow(1, 1, "n", "{}", -0.0f));
  EXPECT_EQ(c[4], d[4]);
}

TEST(RowHashTest, JsonComparesByValue) {
  auto a = Fields(OneRow(1, 1, "n", R"({"a":1,"b":[1,2.0,{"y":1,"x":2}]})", 1));
  auto b = Fields(OneRow(1, 1, "n", R"({ "b": [1.0, 2, {"x":2,"y":1}], "a": 1.0 })", 1));
  EXPECT_EQ(a[3], b[3]);
  auto c = Fields(OneRow(1, 1, "n", R"({"a":2})", 1));
  EXPECT_FALSE(a[3] == c[3]);
  EXPECT_EQ(CanonicalJson(R"({"b":1,"a":2.0})"), R"({"a":2,"b":1})");
  EXPECT_EQ(CanonicalJson("not json"), "not json");
}

TEST(RowHashTest, IntegersCompareByValueAcrossWidths) {
  FieldSchema i32{.name = "a", .type = DataType::kInt32};
  FieldSchema i64{.name = "a", .type = DataType::kInt64};
  Column c32(i32), c64(i64);
  int32_t v32 = -7;
  int64_t v64 = -7;
  c32.AppendFixed(&v32, 1);
  c64.AppendFixed(&v64, 1);
  EXPECT_EQ(HashFieldValue(i32, c32, 0), HashFieldValue(i64, c64, 0));
}

TEST(RowHashTest, VarCharAndPartitionCount) {
  auto a = Fields(OneRow(1, 1, "name-1", "{}", 1));
  auto b = Fields(OneRow(1, 1, "name-2", "{}", 1));
  EXPECT_FALSE(a[2] == b[2]);
  EXPECT_FALSE(HashRow("p1", a) == HashRow("p2", a));
  EXPECT_EQ(PartitionName(""), "_default");
  EXPECT_EQ(PartitionName("p"), "p");
}

TEST(RowHashTest, HashBytesSeparatesLengthsAndSeeds) {
  const char zeros[32] = {};
  EXPECT_FALSE(HashBytes(zeros, 16) == HashBytes(zeros, 17));
  EXPECT_FALSE(HashBytes(zeros, 16, 1) == HashBytes(zeros, 16, 2));
  EXPECT_EQ(HashBytes("abc", 3).Hex().size(), 32u);
}

}  // namespace
}  // namespace mm
