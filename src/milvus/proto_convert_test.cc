#include "milvus/proto_convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

namespace mm {
namespace {

namespace pb = milvus::proto::schema;

std::map<std::string, std::string> Params(const pb::FieldSchema& f) {
  std::map<std::string, std::string> out;
  for (const auto& kv : f.type_params()) out[kv.key()] = kv.value();
  return out;
}

Schema AllTypes() {
  Schema s;
  s.collection = "all_types";
  s.description = "every type";
  s.enable_dynamic_field = true;
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true, .auto_id = true});
  s.fields.push_back({.name = "flag", .type = DataType::kBool});
  s.fields.push_back({.name = "i8", .type = DataType::kInt8});
  s.fields.push_back({.name = "i16", .type = DataType::kInt16});
  s.fields.push_back({.name = "i32", .type = DataType::kInt32, .partition_key = true});
  s.fields.push_back({.name = "f", .type = DataType::kFloat});
  s.fields.push_back({.name = "d", .type = DataType::kDouble});
  s.fields.push_back({.name = "title", .type = DataType::kVarChar, .max_length = 64});
  s.fields.push_back({.name = "meta", .type = DataType::kJson});
  s.fields.push_back({.name = "tags",
                      .type = DataType::kArray,
                      .max_length = 16,
                      .element_type = DataType::kVarChar,
                      .max_capacity = 4});
  s.fields.push_back({.name = "vec", .type = DataType::kFloatVector, .dim = 3});
  s.fields.push_back({.name = "bits", .type = DataType::kBinaryVector, .dim = 16});
  return s;
}

TEST(ToCollectionSchemaTest, FieldsTypesAndParams) {
  auto cs = ToCollectionSchema(AllTypes());
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->name(), "all_types");
  EXPECT_EQ(cs->description(), "every type");
  EXPECT_TRUE(cs->enable_dynamic_field());
  ASSERT_EQ(cs->fields_size(), 12);

  const auto& id = cs->fields(0);
  EXPECT_EQ(id.name(), "id");
  EXPECT_EQ(id.data_type(), pb::DataType::Int64);
  EXPECT_TRUE(id.is_primary_key());
  EXPECT_TRUE(id.autoid());
  EXPECT_TRUE(Params(id).empty());

  EXPECT_EQ(cs->fields(1).data_type(), pb::DataType::Bool);
  EXPECT_FALSE(cs->fields(1).is_primary_key());
  EXPECT_FALSE(cs->fields(1).autoid());
  EXPECT_EQ(cs->fields(2).data_type(), pb::DataType::Int8);
  EXPECT_EQ(cs->fields(3).data_type(), pb::DataType::Int16);
  EXPECT_EQ(cs->fields(4).data_type(), pb::DataType::Int32);
  EXPECT_TRUE(cs->fields(4).is_partition_key());
  EXPECT_EQ(cs->fields(5).data_type(), pb::DataType::Float);
  EXPECT_EQ(cs->fields(6).data_type(), pb::DataType::Double);

  const auto& title = cs->fields(7);
  EXPECT_EQ(title.data_type(), pb::DataType::VarChar);
  EXPECT_EQ(Params(title), (std::map<std::string, std::string>{{"max_length", "64"}}));

  EXPECT_EQ(cs->fields(8).data_type(), pb::DataType::JSON);

  const auto& tags = cs->fields(9);
  EXPECT_EQ(tags.data_type(), pb::DataType::Array);
  EXPECT_EQ(tags.element_type(), pb::DataType::VarChar);
  EXPECT_EQ(Params(tags),
            (std::map<std::string, std::string>{{"max_capacity", "4"}, {"max_length", "16"}}));

  const auto& vec = cs->fields(10);
  EXPECT_EQ(vec.data_type(), pb::DataType::FloatVector);
  EXPECT_EQ(Params(vec), (std::map<std::string, std::string>{{"dim", "3"}}));
  EXPECT_EQ(Params(cs->fields(11)), (std::map<std::string, std::string>{{"dim", "16"}}));
}

TEST(ToCollectionSchemaTest, AutoIdOnlyOnPrimaryKey) {
  Schema s = AllTypes();
  s.fields[0].auto_id = false;
  s.fields[1].auto_id = true;  // meaningless on a non-key field; never sent
  auto cs = ToCollectionSchema(s);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_FALSE(cs->fields(0).autoid());
  EXPECT_FALSE(cs->fields(1).autoid());
}

TEST(ToCollectionSchemaTest, InvalidSchemaRejected) {
  Schema s = AllTypes();
  s.fields[10].dim = 0;
  EXPECT_EQ(ToCollectionSchema(s).status().code(), absl::StatusCode::kInvalidArgument);
}

template <typename T>
void Put(Column& c, T v) {
  c.AppendFixed(&v, 1);
}

Batch TwoRows(SchemaPtr schema) {
  Batch b(std::move(schema), "p1");
  for (int64_t r = 0; r < 2; ++r) {
    Put<int64_t>(b.column(0), 100 + r);
    Put<uint8_t>(b.column(1), r == 0 ? 1 : 0);
    Put<int8_t>(b.column(2), static_cast<int8_t>(-5 - r));
    Put<int16_t>(b.column(3), static_cast<int16_t>(-300 - r));
    Put<int32_t>(b.column(4), 70000 + static_cast<int32_t>(r));
    Put<float>(b.column(5), 1.5f + static_cast<float>(r));
    Put<double>(b.column(6), 2.25 + static_cast<double>(r));
    b.column(7).AppendValue(r == 0 ? "first" : "second");
    b.column(8).AppendValue(r == 0 ? R"({"a":1})" : R"({"b":[2]})");
    b.column(9).AppendValue(r == 0 ? R"(["x","y"])" : "[]");
    float v[3] = {0.1f * static_cast<float>(r), 0.2f, 0.3f};
    b.column(10).AppendFixed(v, 1);
    uint8_t bits[2] = {static_cast<uint8_t>(0xA0 + r), 0x0F};
    b.column(11).AppendFixed(bits, 1);
  }
  return b;
}

TEST(AppendFieldsDataTest, LayoutsPerType) {
  auto schema = std::make_shared<const Schema>(AllTypes());
  Batch b = TwoRows(schema);
  google::protobuf::RepeatedPtrField<pb::FieldData> out;
  ASSERT_TRUE(AppendFieldsData(b, /*skip_auto_id=*/false, &out).ok());
  ASSERT_EQ(out.size(), 12);

  EXPECT_EQ(out[0].field_name(), "id");
  EXPECT_EQ(out[0].type(), pb::DataType::Int64);
  EXPECT_EQ(out[0].scalars().long_data().data_size(), 2);
  EXPECT_EQ(out[0].scalars().long_data().data(1), 101);

  EXPECT_EQ(out[1].scalars().bool_data().data(0), true);
  EXPECT_EQ(out[1].scalars().bool_data().data(1), false);
  // Narrow integers are widened to int_data, keeping their sign.
  EXPECT_EQ(out[2].type(), pb::DataType::Int8);
  EXPECT_EQ(out[2].scalars().int_data().data(1), -6);
  EXPECT_EQ(out[3].type(), pb::DataType::Int16);
  EXPECT_EQ(out[3].scalars().int_data().data(0), -300);
  EXPECT_EQ(out[4].scalars().int_data().data(1), 70001);
  EXPECT_FLOAT_EQ(out[5].scalars().float_data().data(1), 2.5f);
  EXPECT_DOUBLE_EQ(out[6].scalars().double_data().data(0), 2.25);
  EXPECT_EQ(out[7].scalars().string_data().data(1), "second");
  EXPECT_EQ(out[8].type(), pb::DataType::JSON);
  EXPECT_EQ(out[8].scalars().json_data().data(0), R"({"a":1})");
  EXPECT_FALSE(out[8].is_dynamic());

  const auto& tags = out[9].scalars().array_data();
  EXPECT_EQ(tags.element_type(), pb::DataType::VarChar);
  ASSERT_EQ(tags.data_size(), 2);
  ASSERT_EQ(tags.data(0).string_data().data_size(), 2);
  EXPECT_EQ(tags.data(0).string_data().data(1), "y");
  EXPECT_EQ(tags.data(1).string_data().data_size(), 0);

  const auto& vec = out[10].vectors();
  EXPECT_EQ(out[10].type(), pb::DataType::FloatVector);
  EXPECT_EQ(vec.dim(), 3);
  ASSERT_EQ(vec.float_vector().data_size(), 6);  // flat, row-major
  EXPECT_FLOAT_EQ(vec.float_vector().data(3), 0.1f);
  EXPECT_FLOAT_EQ(vec.float_vector().data(5), 0.3f);

  const auto& bits = out[11].vectors();
  EXPECT_EQ(bits.dim(), 16);
  EXPECT_EQ(bits.binary_vector(), std::string("\xA0\x0F\xA1\x0F", 4));
}

TEST(AppendFieldsDataTest, SkipsAutoIdPrimaryKey) {
  auto schema = std::make_shared<const Schema>(AllTypes());
  Batch b = TwoRows(schema);
  google::protobuf::RepeatedPtrField<pb::FieldData> out;
  ASSERT_TRUE(AppendFieldsData(b, /*skip_auto_id=*/true, &out).ok());
  ASSERT_EQ(out.size(), 11);
  EXPECT_EQ(out[0].field_name(), "flag");
}

TEST(AppendFieldsDataTest, DynamicFieldMarked) {
  Schema s;
  s.collection = "dyn";
  s.enable_dynamic_field = true;
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "v", .type = DataType::kFloatVector, .dim = 1});
  s.fields.push_back({.name = "$meta", .type = DataType::kJson});
  Batch b(std::make_shared<const Schema>(s));
  Put<int64_t>(b.column(0), 1);
  Put<float>(b.column(1), 1.0f);
  b.column(2).AppendValue(R"({"extra":true})");
  google::protobuf::RepeatedPtrField<pb::FieldData> out;
  ASSERT_TRUE(AppendFieldsData(b, true, &out).ok());
  EXPECT_TRUE(out[2].is_dynamic());
}

TEST(AppendFieldsDataTest, OtherVectorKinds) {
  Schema s;
  s.collection = "vecs";
  s.fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s.fields.push_back({.name = "h", .type = DataType::kFloat16Vector, .dim = 2});
  s.fields.push_back({.name = "bf", .type = DataType::kBFloat16Vector, .dim = 2});
  s.fields.push_back({.name = "sp", .type = DataType::kSparseFloatVector});
  Batch b(std::make_shared<const Schema>(s));
  Put<int64_t>(b.column(0), 7);
  uint8_t half[4] = {1, 2, 3, 4};
  b.column(1).AppendFixed(half, 1);
  b.column(2).AppendFixed(half, 1);
  uint32_t idx[2] = {3, 41};
  float val[2] = {0.5f, 0.25f};
  std::string row(16, '\0');
  std::memcpy(row.data(), &idx[0], 4);
  std::memcpy(row.data() + 4, &val[0], 4);
  std::memcpy(row.data() + 8, &idx[1], 4);
  std::memcpy(row.data() + 12, &val[1], 4);
  b.column(3).AppendValue(row);
  google::protobuf::RepeatedPtrField<pb::FieldData> out;
  ASSERT_TRUE(AppendFieldsData(b, true, &out).ok());
  EXPECT_EQ(out[1].vectors().dim(), 2);
  EXPECT_EQ(out[1].vectors().float16_vector(), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(out[2].vectors().bfloat16_vector().size(), 4u);
  const auto& sp = out[3].vectors();
  EXPECT_EQ(sp.dim(), 42);
  EXPECT_EQ(sp.sparse_float_vector().dim(), 42);
  ASSERT_EQ(sp.sparse_float_vector().contents_size(), 1);
  EXPECT_EQ(sp.sparse_float_vector().contents(0), row);
}

TEST(AppendFieldsDataTest, BadValuesNamed) {
  auto schema = std::make_shared<const Schema>(AllTypes());
  {
    Batch b = TwoRows(schema);
    Put<int64_t>(b.column(0), 5);  // one column longer than the others
    google::protobuf::RepeatedPtrField<pb::FieldData> out;
    auto st = AppendFieldsData(b, false, &out);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Schema s = AllTypes();
    Batch b(std::make_shared<const Schema>(s));
    Batch good = TwoRows(schema);
    // Rebuild row by row with a non-array in 'tags'.
    for (size_t c = 0; c < good.num_columns(); ++c) {
      if (good.column(c).width() > 0) {
        b.column(c).AppendFixed(good.column(c).data(), 1);
      } else {
        b.column(c).AppendValue(c == 9 ? std::string_view(R"({"not":"array"})")
                                       : good.column(c).value(0));
      }
    }
    google::protobuf::RepeatedPtrField<pb::FieldData> out;
    auto st = AppendFieldsData(b, false, &out);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(st.message()).find("'tags' row 0"), std::string::npos) << st;
  }
}

}  // namespace
}  // namespace mm

namespace mm {
namespace {

// Query results come back as the FieldData a batch is sent as: the round trip gives the
// same bytes in every column (Array rows as JSON text).
TEST(AppendRowsFromFieldsDataTest, RoundTripsEveryColumn) {
  auto schema = std::make_shared<const Schema>(AllTypes());
  Batch sent = TwoRows(schema);
  google::protobuf::RepeatedPtrField<pb::FieldData> wire;
  ASSERT_TRUE(AppendFieldsData(sent, /*skip_auto_id=*/false, &wire).ok());
  // The server answers in its own order.
  std::reverse(wire.begin(), wire.end());
  Batch got(schema);
  ASSERT_TRUE(AppendRowsFromFieldsData(wire, &got).ok());
  ASSERT_EQ(got.num_rows(), 2);
  for (size_t c = 0; c < sent.num_columns(); ++c) {
    const Column& a = sent.column(c);
    const Column& b = got.column(c);
    if (a.width() > 0) {
      ASSERT_EQ(a.size_bytes(), b.size_bytes()) << schema->fields[c].name;
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size_bytes()), 0) << schema->fields[c].name;
    } else {
      for (int64_t r = 0; r < 2; ++r) {
        EXPECT_EQ(a.value(r), b.value(r)) << schema->fields[c].name;
      }
    }
  }
}

TEST(AppendRowsFromFieldsDataTest, MissingOrMismatchedFieldsAreNamed) {
  auto schema = std::make_shared<const Schema>(AllTypes());
  Batch sent = TwoRows(schema);
  google::protobuf::RepeatedPtrField<pb::FieldData> wire;
  ASSERT_TRUE(AppendFieldsData(sent, /*skip_auto_id=*/false, &wire).ok());
  auto missing = wire;
  missing.DeleteSubrange(7, 1);
  Batch got(schema);
  Status st = AppendRowsFromFieldsData(missing, &got);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'title'"), std::string::npos) << st;

  auto short_rows = wire;
  short_rows[6].mutable_scalars()->mutable_double_data()->mutable_data()->RemoveLast();
  Batch got2(schema);
  st = AppendRowsFromFieldsData(short_rows, &got2);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'d'"), std::string::npos) << st;

  auto wrong_kind = wire;
  wrong_kind[0].mutable_scalars()->mutable_string_data()->add_data("x");
  Batch got3(schema);
  st = AppendRowsFromFieldsData(wrong_kind, &got3);
  EXPECT_NE(st.message().find("'id'"), std::string::npos) << st;
}

}  // namespace
}  // namespace mm
