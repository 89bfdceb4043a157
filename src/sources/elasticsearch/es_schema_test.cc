#include "sources/elasticsearch/es_schema.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

EsFieldConfig Field(std::string name, std::string type) {
  EsFieldConfig f;
  f.name = std::move(name);
  f.type = std::move(type);
  return f;
}

TEST(EsSchemaTest, MapsEveryType) {
  ElasticsearchConfig c;
  c.index = "docs";
  auto vec = Field("emb", "dense_vector");
  vec.dims = 128;
  auto title = Field("title", "keyword");
  title.max_len = 60;
  auto tags = Field("tags", "keyword");
  tags.is_array = true;
  tags.max_capacity = 16;
  auto scores = Field("scores", "float");
  scores.is_array = true;
  c.fields = {vec, title, Field("body", "text"), Field("n", "long"), Field("i", "integer"),
              Field("s", "short"), Field("b", "byte"), Field("d", "double"), Field("f", "float"),
              Field("h", "half_float"), Field("ok", "boolean"), Field("at", "date"),
              Field("meta", "object"), Field("labels", "flattened"), tags, scores,
              Field("user.name", "keyword")};
  auto mapped = MapEsSchema(c, "docs");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  const Schema& s = *mapped->schema;
  ASSERT_EQ(s.fields.size(), c.fields.size() + 1);
  EXPECT_EQ(s.fields[0].name, "_id");  // no pk configured: _id, as the Go tool
  EXPECT_EQ(s.fields[0].type, DataType::kVarChar);
  EXPECT_EQ(s.fields[0].max_length, 65535);
  EXPECT_TRUE(s.fields[0].primary_key);
  EXPECT_TRUE(mapped->sources[0].from_id);
  std::vector<DataType> want = {DataType::kFloatVector, DataType::kVarChar, DataType::kVarChar,
                                DataType::kInt64, DataType::kInt32, DataType::kInt16,
                                DataType::kInt8, DataType::kDouble, DataType::kFloat,
                                DataType::kFloat, DataType::kBool, DataType::kInt64,
                                DataType::kJson, DataType::kJson, DataType::kArray,
                                DataType::kArray, DataType::kVarChar};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(s.fields[i + 1].type, want[i]) << i;
  EXPECT_EQ(s.fields[1].dim, 128);
  EXPECT_EQ(s.fields[2].max_length, 60);
  EXPECT_EQ(s.fields[3].max_length, 65535);
  EXPECT_EQ(s.fields[15].element_type, DataType::kVarChar);
  EXPECT_EQ(s.fields[15].max_capacity, 16);
  EXPECT_EQ(s.fields[16].element_type, DataType::kFloat);
  EXPECT_EQ(s.fields[16].max_capacity, 4096);
  EXPECT_EQ(s.fields[17].name, "user_name");  // a dotted path is not a Milvus name
  EXPECT_EQ(mapped->sources[17].es_name, "user.name");
  EXPECT_TRUE(s.enable_dynamic_field);
}

TEST(EsSchemaTest, ConfiguredPrimaryKeys) {
  ElasticsearchConfig c;
  auto vec = Field("v", "dense_vector");
  vec.dims = 4;
  auto id = Field("_id", "long");
  id.pk = true;
  c.fields = {id, vec};
  c.close_dynamic_field = true;
  auto mapped = MapEsSchema(c, "x");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_EQ(mapped->schema->fields.size(), 2u);
  EXPECT_EQ(mapped->schema->fields[0].name, "_id");
  EXPECT_EQ(mapped->schema->fields[0].type, DataType::kInt64);
  EXPECT_TRUE(mapped->schema->fields[0].primary_key);
  EXPECT_TRUE(mapped->sources[0].from_id);
  EXPECT_FALSE(mapped->schema->enable_dynamic_field);
}

TEST(EsSchemaTest, ArrayOfObjectsIsRefused) {
  ElasticsearchConfig c;
  auto vec = Field("v", "dense_vector");
  vec.dims = 4;
  auto obj = Field("o", "object");
  obj.is_array = true;
  c.fields = {vec, obj};
  auto mapped = MapEsSchema(c, "x");
  EXPECT_EQ(mapped.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(mapped.status().message()).find("meta.fields[1].isArray"),
            std::string::npos);
}

TEST(EsSchemaTest, BitVectorsBecomeBinaryVectors) {
  ElasticsearchConfig c;
  c.index = "docs";
  auto bits = Field("bits", "dense_vector");
  bits.dims = 64;
  auto floats = Field("floats", "dense_vector");
  floats.dims = 64;
  c.fields = {bits, floats};
  auto mapped = MapEsSchema(c, "docs", {"bits"});
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  const Schema& s = *mapped->schema;
  EXPECT_EQ(s.fields[1].type, DataType::kBinaryVector);
  EXPECT_EQ(s.fields[1].dim, 64);
  EXPECT_EQ(s.fields[1].FixedWidth(), 8);
  EXPECT_EQ(s.fields[2].type, DataType::kFloatVector);
}

}  // namespace
}  // namespace mm
