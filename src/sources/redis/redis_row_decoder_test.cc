#include "sources/redis/redis_row_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

namespace mm {
namespace {

using R = RedisReply;

RedisFieldConfig Field(std::string name, DataType type, int64_t dims = 0) {
  RedisFieldConfig f;
  f.name = std::move(name);
  f.type = type;
  f.dims = dims;
  return f;
}

std::string Blob(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

struct Fixture {
  std::vector<RedisFieldConfig> fields;
  SchemaPtr schema;
  explicit Fixture(std::vector<RedisFieldConfig> f) : fields(std::move(f)) {
    schema = *RedisSchema(fields, "c");
  }
  RedisRowDecoder Decoder(RedisKeyType t, bool skip) const {
    return RedisRowDecoder(schema, fields, t, "doc:", skip);
  }
};

Fixture HashFields() {
  RedisFieldConfig pk = Field("id", DataType::kVarChar);
  pk.pk = pk.from_key = true;
  RedisFieldConfig d = Field("d", DataType::kFloatVector, 2);
  d.vector_type = RedisVectorType::kFloat64;
  RedisFieldConfig h = Field("h", DataType::kFloat16Vector, 2);
  h.vector_type = RedisVectorType::kFloat16;
  return Fixture({pk, Field("v", DataType::kFloatVector, 3), d, h, Field("n", DataType::kInt16),
                  Field("x", DataType::kFloat), Field("ok", DataType::kBool),
                  Field("meta", DataType::kJson)});
}

R Hash(std::vector<std::pair<std::string, std::string>> kv) {
  std::vector<R> e;
  for (auto& [k, v] : kv) {
    e.push_back(R::String(k));
    e.push_back(R::String(v));
  }
  return R::Array(std::move(e));
}

TEST(RedisRowDecoderTest, HashRowEveryKind) {
  Fixture fx = HashFields();
  auto dec = fx.Decoder(RedisKeyType::kHash, false);
  const double dv[2] = {0.1, -3.5};
  const uint16_t hv[2] = {0x3c00, 0xc000};  // 1.0, -2.0
  R reply = Hash({{"v", Blob({1.5f, -2.0f, 3.25f})},
                  {"d", std::string(reinterpret_cast<const char*>(dv), sizeof dv)},
                  {"h", std::string(reinterpret_cast<const char*>(hv), sizeof hv)},
                  {"n", "-1200"}, {"x", "0.25"}, {"ok", "true"}, {"meta", "{\"a\":[1]}"},
                  {"unlisted", "ignored"}});
  Batch batch(fx.schema);
  auto out = dec.Decode("doc:42", reply, &batch);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, RedisRowOutcome::kRow);
  ASSERT_EQ(batch.num_rows(), 1);
  EXPECT_EQ(batch.column(0).value(0), "42");  // the key minus the prefix
  float v[3];
  std::memcpy(v, batch.column(1).row(0), sizeof v);
  EXPECT_EQ(v[2], 3.25f);
  float d[2];
  std::memcpy(d, batch.column(2).row(0), sizeof d);
  EXPECT_EQ(d[0], static_cast<float>(0.1));  // FLOAT64 rounded to the nearest float
  EXPECT_EQ(std::memcmp(batch.column(3).row(0), hv, sizeof hv), 0);  // half floats unchanged
  EXPECT_EQ(batch.column(4).scalar<int16_t>(0), -1200);
  EXPECT_EQ(batch.column(5).scalar<float>(0), 0.25f);
  EXPECT_EQ(batch.column(6).scalar<uint8_t>(0), 1);
  EXPECT_EQ(batch.column(7).value(0), "{\"a\":[1]}");
}

TEST(RedisRowDecoderTest, WrongLengthBlobIsAnInvalidRowNamedByItsKey) {
  Fixture fx = HashFields();
  R reply = Hash({{"v", Blob({1.0f, 2.0f})}, {"d", std::string(16, '\0')},
                  {"h", std::string(4, '\0')}, {"n", "1"}, {"x", "1"}, {"ok", "0"},
                  {"meta", "null"}});
  Batch batch(fx.schema);
  auto fail = fx.Decoder(RedisKeyType::kHash, false).Decode("doc:7", reply, &batch);
  ASSERT_EQ(fail.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(fail.status().message().find("key 'doc:7'"), std::string::npos);
  EXPECT_NE(fail.status().message().find("blob is 8 bytes; expected 12 (3 dims x 4 bytes)"),
            std::string::npos)
      << fail.status();
  auto skip = fx.Decoder(RedisKeyType::kHash, true).Decode("doc:7", reply, &batch);
  ASSERT_TRUE(skip.ok());
  EXPECT_EQ(*skip, RedisRowOutcome::kInvalid);
  EXPECT_EQ(batch.num_rows(), 0);
  ASSERT_EQ(batch.skips().size(), 1u);
  EXPECT_EQ(batch.skips()[0].row.row, "key 'doc:7'");
}

TEST(RedisRowDecoderTest, DeletedKeyIsSkippedEvenUnderFail) {
  Fixture fx = HashFields();
  Batch batch(fx.schema);
  auto out = fx.Decoder(RedisKeyType::kHash, false).Decode("doc:9", R::Array({}), &batch);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, RedisRowOutcome::kDeleted);
  auto nil = fx.Decoder(RedisKeyType::kString, false).Decode("doc:9", R{}, &batch);
  ASSERT_TRUE(nil.ok());
  EXPECT_EQ(*nil, RedisRowOutcome::kDeleted);
  ASSERT_EQ(batch.skips().size(), 2u);
  EXPECT_EQ(batch.skips()[1].row.reason, "was deleted during the scan");
}

TEST(RedisRowDecoderTest, BadScalarsAndMissingFields) {
  Fixture fx = HashFields();
  auto dec = fx.Decoder(RedisKeyType::kHash, false);
  auto base = [] {
    return std::vector<std::pair<std::string, std::string>>{
        {"v", Blob({1, 2, 3})}, {"d", std::string(16, '\0')}, {"h", std::string(4, '\0')},
        {"n", "1"}, {"x", "1"}, {"ok", "1"}, {"meta", "{}"}};
  };
  struct Case {
    std::string field, value, expect;
  } cases[] = {{"n", "40000", "out of range"}, {"n", "1.5", "not an integer"},
               {"x", "abc", "not a number"},   {"ok", "yes", "not a boolean"},
               {"meta", "{", "not JSON"}};
  for (const auto& c : cases) {
    auto kv = base();
    for (auto& [k, v] : kv) {
      if (k == c.field) v = c.value;
    }
    Batch batch(fx.schema);
    auto out = dec.Decode("doc:1", Hash(kv), &batch);
    EXPECT_NE(out.status().message().find(c.expect), std::string::npos) << out.status();
    EXPECT_NE(out.status().message().find(StrCat("field '", c.field, "'")), std::string::npos);
  }
  auto kv = base();
  kv.pop_back();
  Batch batch(fx.schema);
  auto out = dec.Decode("doc:1", Hash(kv), &batch);
  EXPECT_NE(out.status().message().find("field 'meta' is missing"), std::string::npos);
}

TEST(RedisRowDecoderTest, JsonDocuments) {
  RedisFieldConfig pk = Field("id", DataType::kInt64);
  pk.pk = true;
  RedisFieldConfig name = Field("name", DataType::kVarChar);
  name.path = "meta.name";
  Fixture fx({pk, Field("vec", DataType::kFloatVector, 2), name, Field("tags", DataType::kJson)});
  Batch batch(fx.schema);
  auto dec = fx.Decoder(RedisKeyType::kString, false);
  auto ok = dec.Decode("doc:1",
                       R::String(R"({"id": 7, "vec": [0.1, 2], "meta": {"name": "x"},
                                    "tags": ["a", {"b": 1}]})"),
                       &batch);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(batch.column(0).scalar<int64_t>(0), 7);
  EXPECT_EQ(batch.column(1).scalar<float>(0), static_cast<float>(0.1));
  EXPECT_EQ(batch.column(2).value(0), "x");
  EXPECT_EQ(batch.column(3).value(0), R"(["a",{"b":1}])");
  // JSON.GET with a $ path wraps the document in an array.
  auto wrapped = fx.Decoder(RedisKeyType::kJson, false)
                     .Decode("doc:2", R::String(R"([{"id": 8, "vec": [1, 2],
                                                    "meta": {"name": "y"}, "tags": 1}])"),
                             &batch);
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(batch.column(0).scalar<int64_t>(1), 8);
  for (const char* bad : {R"({"id": 1, "vec": [1], "meta": {"name": "x"}, "tags": 1})",
                          R"({"id": "1", "vec": [1, 2], "meta": {"name": "x"}, "tags": 1})",
                          R"({"id": 1, "vec": [1, 2], "meta": {}, "tags": 1})",
                          R"([1, 2])", "not json"}) {
    auto out = dec.Decode("doc:3", R::String(bad), &batch);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(out.status().message().find("key 'doc:3'"), std::string::npos);
  }
}

}  // namespace
}  // namespace mm
