#include "sources/elasticsearch/es_mapping.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

ElasticsearchConfig Config() {
  ElasticsearchConfig c;
  c.index = "docs";
  EsFieldConfig vec{.name = "emb", .type = "dense_vector", .dims = 4};
  EsFieldConfig name{.name = "user.name", .type = "keyword"};
  EsFieldConfig n{.name = "n", .type = "long"};
  EsFieldConfig id{.name = "_id", .type = "keyword", .pk = true};
  c.fields = {vec, name, n, id};
  return c;
}

constexpr char kMapping[] = R"({"docs-000001":{"mappings":{
  "_source":{"excludes":["emb"]},
  "properties":{"emb":{"type":"dense_vector","dims":4,"index":true,"similarity":"l2_norm"},
                "user":{"properties":{"name":{"type":"keyword"}}},
                "n":{"type":"integer"}}}}})";

TEST(EsMappingTest, AcceptsCompatibleTypesAndFindsExcludedFields) {
  auto check = CheckEsMapping(Config(), kMapping);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->from_doc_values, std::set<std::string>{"emb"});
  EXPECT_EQ(check->sortable, (std::set<std::string>{"user.name", "n"}));
}

TEST(EsMappingTest, SortableOnlyWithDocValuesInEveryIndex) {
  ElasticsearchConfig c = Config();
  c.fields.push_back(EsFieldConfig{.name = "title", .type = "keyword"});
  auto check = CheckEsMapping(c, R"({
    "a":{"mappings":{"properties":{"emb":{"type":"dense_vector","dims":4},
         "user":{"properties":{"name":{"type":"keyword","doc_values":false}}},
         "n":{"type":"long"},"title":{"type":"keyword"}}}},
    "b":{"mappings":{"properties":{"emb":{"type":"dense_vector","dims":4},
         "user":{"properties":{"name":{"type":"keyword"}}},
         "n":{"type":"long"},"title":{"type":"text"}}}}})");
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->sortable, std::set<std::string>{"n"});
}

TEST(EsMappingTest, MissingFieldTypeAndDimsAreNamed) {
  ElasticsearchConfig c = Config();
  c.fields.push_back(EsFieldConfig{.name = "absent", .type = "keyword"});
  auto check = CheckEsMapping(c, kMapping);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(check.status().message()).find("'absent'"), std::string::npos);

  c = Config();
  c.fields[0].dims = 8;
  check = CheckEsMapping(c, kMapping);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(check.status().message()).find("dims 4"), std::string::npos);

  c = Config();
  c.fields[2].type = "boolean";
  check = CheckEsMapping(c, kMapping);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(check.status().message()).find("maps it as integer"), std::string::npos);
}

TEST(EsMappingTest, VectorElementTypes) {
  ElasticsearchConfig c = Config();
  c.fields[0].dims = 64;
  auto mapping = [](const std::string& element) {
    return StrCat(R"({"docs":{"mappings":{"properties":{)",
                  R"("emb":{"type":"dense_vector","dims":64,)", element,
                  R"("similarity":"l2_norm"},"user":{"properties":{"name":{"type":"keyword"}}},)",
                  R"("n":{"type":"long"}}}}})");
  };
  // float (also when absent) and byte read as numbers; bit becomes a binary vector.
  for (const char* element : {"", R"("element_type":"float",)", R"("element_type":"byte",)"}) {
    auto check = CheckEsMapping(c, mapping(element));
    ASSERT_TRUE(check.ok()) << element << check.status();
    EXPECT_TRUE(check->bit_vectors.empty());
  }
  auto check = CheckEsMapping(c, mapping(R"("element_type":"bit",)"));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->bit_vectors, std::set<std::string>{"emb"});

  // Any other element type is refused, naming the field, the index and the type.
  check = CheckEsMapping(c, mapping(R"("element_type":"bfloat16",)"));
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(check.status().message());
  EXPECT_NE(message.find("meta.fields[0]"), std::string::npos) << message;
  EXPECT_NE(message.find("'emb'"), std::string::npos) << message;
  EXPECT_NE(message.find("'bfloat16'"), std::string::npos) << message;
  EXPECT_NE(message.find("index 'docs'"), std::string::npos) << message;
}

}  // namespace
}  // namespace mm
