#include "sources/mongodb/mongo_doc_decoder.h"

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <cstring>

#include "sources/mongodb/mongo_client.h"

namespace mm {
namespace {

MongoFieldConfig Field(std::string path, DataType type, int64_t dims = 0) {
  MongoFieldConfig f;
  f.path = path;
  f.target = path;
  for (char& c : f.target) c = c == '.' ? '_' : c;
  f.type = type;
  f.dims = dims;
  return f;
}

// A doc from extended JSON.
BsonDoc Doc(const std::string& json) {
  auto d = BsonDoc::FromJson(json, "test doc");
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : BsonDoc();
}

// {"_id": <oid>, "v": Binary(subtype 9, header + payload)}.
BsonDoc VectorDoc(const std::vector<uint8_t>& binary) {
  BsonDoc d = Doc(R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}})");
  bson_append_binary(const_cast<bson_t*>(d.get()), "v", 1, static_cast<bson_subtype_t>(9),
                     binary.data(), static_cast<uint32_t>(binary.size()));
  return d;
}

struct Decoded {
  Status status;
  bool kept = false;
  Batch batch;
};

Decoded Decode(const MongoConfig& config, const BsonDoc& doc, DataType id_type, bool skip) {
  auto schema = MapMongoSchema(config, "c", id_type, id_type == DataType::kVarChar);
  EXPECT_TRUE(schema.ok()) << schema.status();
  MongoDocDecoder decoder(*schema, "db.c", skip);
  Batch batch(schema->schema);
  auto kept = decoder.Decode(doc.get(), &batch);
  return Decoded{kept.status(), kept.ok() && *kept, std::move(batch)};
}

TEST(MongoDocDecoderTest, ScalarsNestedAndArrayVector) {
  MongoConfig config;
  config.fields = {Field("v", DataType::kFloatVector, 3), Field("i32", DataType::kInt32),
                   Field("i64", DataType::kInt64),      Field("d", DataType::kDouble),
                   Field("b", DataType::kBool),         Field("s", DataType::kVarChar),
                   Field("when", DataType::kInt64),     Field("ref", DataType::kVarChar),
                   Field("meta.author", DataType::kVarChar), Field("meta", DataType::kJson),
                   Field("tags", DataType::kArray),     Field("nothing", DataType::kJson)};
  config.fields[10].element_type = DataType::kInt64;
  config.fields[10].max_capacity = 8;
  for (auto& f : config.fields) {
    if (f.type == DataType::kVarChar) f.max_len = 100;
  }
  BsonDoc doc = Doc(R"({"_id": 7, "v": [1, 2.5, {"$numberLong": "-3"}], "i32": 5,
      "i64": {"$numberLong": "9007199254740993"}, "d": 0.1, "b": true, "s": "héllo\n",
      "when": {"$date": {"$numberLong": "1700000000123"}},
      "ref": {"$oid": "65a1b2c3d4e5f60718293a4b"},
      "meta": {"author": "ann", "n": [1, {"x": null}], "at": {"$date": {"$numberLong": "5"}}},
      "tags": [3, 1, 2], "nothing": null})");
  Decoded d = Decode(config, doc, DataType::kInt64, false);
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_TRUE(d.kept);
  const Batch& b = d.batch;
  ASSERT_EQ(b.num_rows(), 1);
  EXPECT_EQ(b.schema()->fields[0].name, "_id");
  EXPECT_EQ(b.column(0).scalar<int64_t>(0), 7);
  const float want[3] = {1.0f, 2.5f, -3.0f};
  EXPECT_EQ(std::memcmp(b.column(1).row(0), want, sizeof want), 0);
  EXPECT_EQ(b.column(2).scalar<int32_t>(0), 5);
  EXPECT_EQ(b.column(3).scalar<int64_t>(0), 9007199254740993);
  EXPECT_EQ(b.column(4).scalar<double>(0), 0.1);
  EXPECT_EQ(b.column(5).scalar<uint8_t>(0), 1);
  EXPECT_EQ(b.column(6).value(0), "héllo\n");
  EXPECT_EQ(b.column(7).scalar<int64_t>(0), 1700000000123);
  EXPECT_EQ(b.column(8).value(0), "65a1b2c3d4e5f60718293a4b");
  EXPECT_EQ(b.schema()->fields[9].name, "meta_author");
  EXPECT_EQ(b.column(9).value(0), "ann");
  EXPECT_EQ(b.column(10).value(0), R"({"author":"ann","n":[1,{"x":null}],"at":5})");
  EXPECT_EQ(b.column(11).value(0), "[3,1,2]");
  EXPECT_EQ(b.column(12).value(0), "null");
}

TEST(MongoDocDecoderTest, BinaryVectorsOfEachDtype) {
  MongoConfig config;
  config.fields = {Field("v", DataType::kFloatVector, 2)};
  // FLOAT32 1.0, -2.0, little-endian.
  Decoded f32 = Decode(config, VectorDoc({0x27, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}),
                       DataType::kVarChar, false);
  ASSERT_TRUE(f32.status.ok()) << f32.status;
  const float want[2] = {1.0f, -2.0f};
  EXPECT_EQ(std::memcmp(f32.batch.column(1).row(0), want, sizeof want), 0);
  EXPECT_EQ(f32.batch.column(0).value(0), "65a1b2c3d4e5f60718293a4b");
  EXPECT_EQ(f32.batch.schema()->fields[0].max_length, 24);
  // INT8 -1, 127 as floats.
  Decoded i8 = Decode(config, VectorDoc({0x03, 0, 0xff, 0x7f}), DataType::kVarChar, false);
  ASSERT_TRUE(i8.status.ok()) << i8.status;
  const float want8[2] = {-1.0f, 127.0f};
  EXPECT_EQ(std::memcmp(i8.batch.column(1).row(0), want8, sizeof want8), 0);

  MongoConfig bits;
  bits.fields = {Field("v", DataType::kBinaryVector, 16)};
  Decoded pb = Decode(bits, VectorDoc({0x10, 0, 0xf0, 0x42}), DataType::kVarChar, false);
  ASSERT_TRUE(pb.status.ok()) << pb.status;
  EXPECT_EQ(std::memcmp(pb.batch.column(1).row(0), "\xf0\x42", 2), 0);
  // An array of 0/1 packs most significant bit first, as PACKED_BIT does.
  BsonDoc arr = Doc(R"({"_id": "k", "v": [1,1,1,1,0,0,0,0, 0,1,0,0,0,0,1,0]})");
  Decoded pa = Decode(bits, arr, DataType::kVarChar, false);
  ASSERT_TRUE(pa.status.ok()) << pa.status;
  EXPECT_EQ(std::memcmp(pa.batch.column(1).row(0), "\xf0\x42", 2), 0);
}

TEST(MongoDocDecoderTest, InvalidDocsFailOrSkipNamingIdAndField) {
  MongoConfig config;
  config.fields = {Field("v", DataType::kFloatVector, 3), Field("n", DataType::kInt32)};
  struct Case {
    std::string doc;
    std::string why;
  } cases[] = {
      {R"({"_id": 1, "v": [1, 2], "n": 1})", "field 'v' has 2 dimensions, expected 3"},
      {R"({"_id": 2, "v": [1, 2, 3]})", "field 'n' is missing"},
      {R"({"_id": 3, "v": [1, 2, 3], "n": null})", "field 'n' is null"},
      {R"({"_id": 4, "v": [1, "x", 3], "n": 1})", "field 'v' holds a string"},
      {R"({"_id": 5, "v": [1, 2, 3], "n": 3000000000})", "does not fit Int32"},
      {R"({"_id": 6, "v": [1, 2, 3], "n": 1.5})", "expected an integer, got a double"},
  };
  for (const auto& tc : cases) {
    BsonDoc doc = Doc(tc.doc);
    Decoded fail = Decode(config, doc, DataType::kInt64, false);
    EXPECT_EQ(fail.status.code(), absl::StatusCode::kInvalidArgument) << tc.doc;
    EXPECT_NE(fail.status.message().find(tc.why), std::string::npos) << fail.status;
    EXPECT_NE(fail.status.message().find("db.c, document _id "), std::string::npos)
        << fail.status;
    Decoded skip = Decode(config, doc, DataType::kInt64, true);
    ASSERT_TRUE(skip.status.ok()) << skip.status;
    EXPECT_FALSE(skip.kept);
    EXPECT_EQ(skip.batch.num_rows(), 0);
    ASSERT_EQ(skip.batch.skips().size(), 1u);
    EXPECT_NE(skip.batch.skips()[0].row.reason.find(tc.why), std::string::npos);
  }
  // A wrong-length binary vector too.
  MongoConfig bin;
  bin.fields = {Field("v", DataType::kFloatVector, 3)};
  Decoded f = Decode(bin, VectorDoc({0x27, 0, 0, 0, 0x80, 0x3f}), DataType::kVarChar, false);
  EXPECT_NE(f.status.message().find("document _id 65a1b2c3d4e5f60718293a4b: field 'v' has 1 "
                                    "dimensions, expected 3"),
            std::string::npos)
      << f.status;
  // A bad header: a nonzero padding on FLOAT32, an unknown dtype.
  f = Decode(bin, VectorDoc({0x27, 1, 0, 0, 0x80, 0x3f}), DataType::kVarChar, false);
  EXPECT_NE(f.status.message().find("padding 1"), std::string::npos) << f.status;
  f = Decode(bin, VectorDoc({0x11, 0, 0}), DataType::kVarChar, false);
  EXPECT_NE(f.status.message().find("dtype 0x11"), std::string::npos) << f.status;
}

TEST(MongoDocDecoderTest, DecimalBecomesDouble) {
  MongoConfig config;
  config.fields = {Field("v", DataType::kFloatVector, 1), Field("price", DataType::kDouble)};
  BsonDoc doc = Doc(R"({"_id": 1, "v": [0], "price": {"$numberDecimal": "19.99"}})");
  Decoded d = Decode(config, doc, DataType::kInt64, false);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.batch.column(2).scalar<double>(0), 19.99);
}

TEST(MongoDocDecoderTest, UnlistedFieldsGoToTheDynamicField) {
  MongoConfig config;
  config.fields = {Field("v", DataType::kFloatVector, 1), Field("a.b", DataType::kInt64)};
  config.dynamic_unlisted = true;
  BsonDoc doc = Doc(R"({"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "v": [0],
      "a": {"b": 1, "c": "x"}, "z": {"$oid": "65a1b2c3d4e5f60718293a4c"}, "e": {"b": 2}})");
  Decoded d = Decode(config, doc, DataType::kVarChar, false);
  ASSERT_TRUE(d.status.ok()) << d.status;
  const Schema& s = *d.batch.schema();
  EXPECT_TRUE(s.enable_dynamic_field);
  ASSERT_EQ(s.fields.back().name, kDynamicFieldName);
  EXPECT_EQ(d.batch.column(3).value(0),
            R"({"a":{"c":"x"},"z":"65a1b2c3d4e5f60718293a4c","e":{"b":2}})");
}

}  // namespace
}  // namespace mm
