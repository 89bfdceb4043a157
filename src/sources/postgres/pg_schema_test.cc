#include "sources/postgres/pg_schema.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

PgColumnType Col(std::string type, int32_t typmod = -1, std::string element = "") {
  return PgColumnType{"c", std::move(type), std::move(element), typmod, "t(x)", false};
}

TEST(PgSchemaTest, TheTableOfTypes) {
  struct Case {
    PgColumnType col;
    DataType type;
    PgDecode decode;
  };
  const Case cases[] = {
      {Col("vector", 768), DataType::kFloatVector, PgDecode::kVector},
      {Col("halfvec", 8), DataType::kFloatVector, PgDecode::kHalfvecAsFloat},
      {Col("bit", 64), DataType::kBinaryVector, PgDecode::kBit},
      {Col("int2"), DataType::kInt16, PgDecode::kInt2},
      {Col("int4"), DataType::kInt32, PgDecode::kInt4},
      {Col("int8"), DataType::kInt64, PgDecode::kInt8},
      {Col("float4"), DataType::kFloat, PgDecode::kFloat4},
      {Col("float8"), DataType::kDouble, PgDecode::kFloat8},
      {Col("bool"), DataType::kBool, PgDecode::kBool},
      {Col("text"), DataType::kVarChar, PgDecode::kText},
      {Col("varchar", 36), DataType::kVarChar, PgDecode::kText},
      {Col("uuid"), DataType::kVarChar, PgDecode::kText},
      {Col("json"), DataType::kJson, PgDecode::kJson},
      {Col("jsonb"), DataType::kJson, PgDecode::kJsonb},
      {Col("_float4", -1, "float4"), DataType::kArray, PgDecode::kArray},
      {Col("timestamptz"), DataType::kInt64, PgDecode::kTimestamp},
      {Col("date"), DataType::kInt64, PgDecode::kDate},
      {Col("numeric"), DataType::kDouble, PgDecode::kFloat8},
  };
  for (const Case& c : cases) {
    Result<PgField> f = MapPgColumn(c.col, {});
    ASSERT_TRUE(f.ok()) << c.col.type_name << ": " << f.status();
    EXPECT_EQ(f->field.type, c.type) << c.col.type_name;
    EXPECT_EQ(f->decode, c.decode) << c.col.type_name;
  }
  EXPECT_EQ(MapPgColumn(Col("vector", 768), {})->field.dim, 768);
  EXPECT_EQ(MapPgColumn(Col("uuid"), {})->select, "\"c\"::text");
  EXPECT_EQ(MapPgColumn(Col("numeric"), {})->select, "\"c\"::float8");
  EXPECT_EQ(MapPgColumn(Col("_float4", -1, "float4"), {})->field.element_type, DataType::kFloat);
}

TEST(PgSchemaTest, Options) {
  auto numeric = MapPgColumn(Col("numeric"), {.numeric_as_varchar = true});
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->field.type, DataType::kVarChar);
  EXPECT_EQ(numeric->select, "\"c\"::text");
  auto half = MapPgColumn(Col("halfvec", 4), {.halfvec_as_float16 = true});
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->field.type, DataType::kFloat16Vector);
}

TEST(PgSchemaTest, UnsupportedNamesTypeAndWayAround) {
  for (const PgColumnType& c :
       {Col("point"), Col("sparsevec", 100), Col("bit", 12), Col("_point", -1, "point")}) {
    Result<PgField> f = MapPgColumn(c, {});
    ASSERT_FALSE(f.ok()) << c.type_name;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find("column 'c' has type t(x)"), std::string::npos);
    EXPECT_NE(f.status().message().find("leave it out"), std::string::npos);
  }
}

TEST(PgSchemaTest, MetricFromOpclass) {
  EXPECT_EQ(MetricOfPgOpclass("vector_l2_ops"), "L2");
  EXPECT_EQ(MetricOfPgOpclass("vector_ip_ops"), "IP");
  EXPECT_EQ(MetricOfPgOpclass("vector_cosine_ops"), "COSINE");
  EXPECT_EQ(MetricOfPgOpclass("halfvec_cosine_ops"), "COSINE");
  EXPECT_EQ(MetricOfPgOpclass("bit_hamming_ops"), "HAMMING");
  EXPECT_EQ(MetricOfPgOpclass("bit_jaccard_ops"), "JACCARD");
  EXPECT_EQ(MetricOfPgOpclass("vector_l1_ops"), "");
  EXPECT_EQ(MetricOfPgOpclass("int4_ops"), "");
}

TEST(PgSchemaTest, QuoteIdent) {
  EXPECT_EQ(PgQuoteIdent("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace mm
