#include "pipeline/collection_fit.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

Schema Plan(int64_t dim) {
  Schema s;
  s.collection = "c";
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "data", .type = DataType::kFloatVector, .dim = dim});
  return s;
}

std::string All(const std::vector<std::string>& diffs) {
  std::string out;
  for (const auto& d : diffs) out += d + "\n";
  return out;
}

TEST(SchemaDifferencesTest, SameSchemaFits) {
  EXPECT_TRUE(SchemaDifferences(Plan(8), Plan(8)).empty());
}

TEST(SchemaDifferencesTest, DimIsNamedWithBothValues) {
  auto d = SchemaDifferences(Plan(64), Plan(128));
  ASSERT_EQ(d.size(), 1u) << All(d);
  EXPECT_EQ(d[0], "field 'data': dim: the collection has 64, the source has 128");
}

TEST(SchemaDifferencesTest, OtherFieldNamesAreNamedBothWays) {
  Schema existing = Plan(8);
  existing.fields[0].name = "pk";
  existing.fields[1].name = "embedding";
  auto d = SchemaDifferences(existing, Plan(8));
  ASSERT_EQ(d.size(), 4u) << All(d);
  const std::string all = All(d);
  EXPECT_NE(all.find("field 'id': the collection has no such field, the source has Int64 "
                     "primary key"), std::string::npos) << all;
  EXPECT_NE(all.find("field 'embedding': the collection has FloatVector(dim 8), the source has "
                     "no such field"), std::string::npos) << all;
}

TEST(SchemaDifferencesTest, AutoIdPrimaryKeyIsNamed) {
  Schema existing = Plan(8);
  existing.fields[0].auto_id = true;
  auto d = SchemaDifferences(existing, Plan(8));
  ASSERT_EQ(d.size(), 1u) << All(d);
  EXPECT_NE(d[0].find("field 'id': autoID: the collection has autoID on"), std::string::npos)
      << d[0];
}

TEST(SchemaDifferencesTest, TypesLengthsElementsAndDynamicField) {
  Schema plan = Plan(8);
  plan.enable_dynamic_field = true;
  plan.fields.push_back({.name = "title", .type = DataType::kVarChar, .max_length = 512});
  plan.fields.push_back({.name = "tags", .type = DataType::kArray, .element_type = DataType::kInt64,
                         .max_capacity = 16});
  plan.fields.push_back({.name = "score", .type = DataType::kFloat});
  Schema existing = plan;
  existing.enable_dynamic_field = false;
  existing.fields[2].max_length = 64;
  existing.fields[3].element_type = DataType::kInt32;
  existing.fields[4].type = DataType::kDouble;
  auto d = SchemaDifferences(existing, plan);
  const std::string all = All(d);
  ASSERT_EQ(d.size(), 4u) << all;
  EXPECT_NE(all.find("field 'title': max_length: the collection has 64, the source has 512"),
            std::string::npos) << all;
  EXPECT_NE(all.find("field 'tags': element type: the collection has Int32, the source has "
                     "Int64"), std::string::npos) << all;
  EXPECT_NE(all.find("field 'score': type: the collection has Double, the source has Float"),
            std::string::npos) << all;
  EXPECT_NE(all.find("dynamic field: the collection has it off"), std::string::npos) << all;
}

TEST(PlanIdTest, StableAndDistinct) {
  EXPECT_EQ(PlanId("faiss:/a (10 bytes)", "c"), PlanId("faiss:/a (10 bytes)", "c"));
  EXPECT_NE(PlanId("faiss:/a (10 bytes)", "c"), PlanId("faiss:/a (10 bytes)", "d"));
  EXPECT_NE(PlanId("ab", "c"), PlanId("a", "bc"));
  EXPECT_EQ(PlanId("x", "y").size(), 16u);
}

}  // namespace
}  // namespace mm
