#include "pipeline/plan_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace mm {
namespace {

using ::testing::HasSubstr;

CollectionPlan PlanNamed(const std::string& collection) {
  auto schema = std::make_shared<Schema>();
  schema->collection = collection;
  schema->fields.push_back(FieldSchema{.name = "id", .type = DataType::kInt64,
                                       .primary_key = true});
  schema->fields.push_back(FieldSchema{.name = "data", .type = DataType::kFloatVector, .dim = 4});
  CollectionPlan plan;
  plan.schema = schema;
  plan.name_origin = "[target.create.collection.name]";
  return plan;
}

std::string ErrorOf(const std::vector<CollectionPlan>& plans) {
  Status st = CheckPlanNames(plans);
  EXPECT_TRUE(st.ok() || absl::IsInvalidArgument(st)) << st;
  return std::string(st.message());
}

TEST(PlanCheckTest, ValidNamesPass) {
  CollectionPlan plan = PlanNamed("_my_coll2");
  plan.partitions = {"p_2023", "_default"};
  plan.tasks.push_back(SourceTask{.id = "t", .collection = "_my_coll2", .partition = "q1"});
  EXPECT_TRUE(CheckPlanNames({plan}).ok());
  EXPECT_TRUE(CheckPlanNames({PlanNamed(std::string(255, 'a'))}).ok());
}

TEST(PlanCheckTest, CollectionNamesMilvusRefusesNameTheNameTheOriginAndTheRule) {
  struct Case {
    std::string name;
    const char* rule;
  };
  const Case cases[] = {
      {"my-coll", "may hold only letters, digits and '_' (found '-')"},
      {"", "must not be empty"},
      {"2023_q1", "must start with a letter or '_'"},
      {std::string(256, 'a'), "is 256 characters long; Milvus allows at most 255"},
      {"caf\xc3\xa9", "may hold only letters, digits and '_'"},
      {"my coll", "may hold only letters, digits and '_' (found ' ')"},
      {"a.b", "may hold only letters, digits and '_' (found '.')"},
  };
  for (const Case& c : cases) {
    const std::string message = ErrorOf({PlanNamed(c.name)});
    EXPECT_THAT(message, HasSubstr(c.rule)) << c.name;
    EXPECT_THAT(message, HasSubstr("[target.create.collection.name]")) << c.name;
    if (!c.name.empty() && c.name.size() < 20) {
      EXPECT_THAT(message, HasSubstr("'" + c.name + "'"));
    }
  }
}

TEST(PlanCheckTest, PartitionAndFieldNames) {
  CollectionPlan plan = PlanNamed("c");
  plan.partitions = {"2023-q1"};
  EXPECT_THAT(ErrorOf({plan}), HasSubstr("partition name '2023-q1' must start with a letter"));
  plan.partitions.clear();
  plan.tasks.push_back(SourceTask{.id = "t", .collection = "c", .partition = "p-1"});
  EXPECT_THAT(ErrorOf({plan}), HasSubstr("partition name 'p-1'"));
  CollectionPlan fields = PlanNamed("c");
  std::const_pointer_cast<Schema>(fields.schema)->fields[1].name = "user.name";
  EXPECT_THAT(ErrorOf({fields}), HasSubstr("field name 'user.name'"));
}

TEST(PlanCheckTest, TwoCollectionsOfOneName) {
  EXPECT_THAT(ErrorOf({PlanNamed("c"), PlanNamed("c")}), HasSubstr("would both be 'c'"));
}

}  // namespace
}  // namespace mm
