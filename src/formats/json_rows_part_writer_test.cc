#include "formats/json_rows_part_writer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "storage/memory_storage.h"

namespace mm {
namespace {

using nlohmann::json;

// Every type the JSON-rows form takes, one field each.
SchemaPtr AllTypesSchema() {
  auto s = std::make_shared<Schema>();
  s->collection = "c";
  s->fields = {
      {.name = "id", .type = DataType::kInt64, .primary_key = true},
      {.name = "b", .type = DataType::kBool},
      {.name = "i8", .type = DataType::kInt8},
      {.name = "i16", .type = DataType::kInt16},
      {.name = "i32", .type = DataType::kInt32},
      {.name = "f", .type = DataType::kFloat},
      {.name = "d", .type = DataType::kDouble},
      {.name = "s", .type = DataType::kVarChar, .max_length = 64},
      {.name = "j", .type = DataType::kJson},
      {.name = "a", .type = DataType::kArray, .element_type = DataType::kInt64,
       .max_capacity = 4},
      {.name = "fv", .type = DataType::kFloatVector, .dim = 3},
      {.name = "bv", .type = DataType::kBinaryVector, .dim = 16},
  };
  return s;
}

struct Row {
  int64_t id = 0;
  bool b = false;
  int8_t i8 = 0;
  int16_t i16 = 0;
  int32_t i32 = 0;
  float f = 0;
  double d = 0;
  std::string s;
  std::string j = "{}";
  std::string a = "[]";
  float fv[3] = {0, 0, 0};
  uint8_t bv[2] = {0, 0};
};

void Append(Batch& batch, const Row& r) {
  batch.column(0).AppendFixed(&r.id, 1);
  uint8_t b = r.b ? 1 : 0;
  batch.column(1).AppendFixed(&b, 1);
  batch.column(2).AppendFixed(&r.i8, 1);
  batch.column(3).AppendFixed(&r.i16, 1);
  batch.column(4).AppendFixed(&r.i32, 1);
  batch.column(5).AppendFixed(&r.f, 1);
  batch.column(6).AppendFixed(&r.d, 1);
  batch.column(7).AppendValue(r.s);
  batch.column(8).AppendValue(r.j);
  batch.column(9).AppendValue(r.a);
  batch.column(10).AppendFixed(r.fv, 1);
  batch.column(11).AppendFixed(r.bv, 1);
}

Result<std::string> WritePart(MemoryStorage& storage, const SchemaPtr& schema,
                              const Batch& batch) {
  ASSIGN_OR_RETURN(auto w, JsonRowsPartWriter::Open(&storage, "p", schema, ""));
  RETURN_IF_ERROR(w->Add(batch, 0, batch.num_rows()));
  ASSIGN_OR_RETURN(PartInfo info, w->Finish());
  return storage.Content(info.files.at(0));
}

json ParseRows(const std::string& text) {
  json doc = json::parse(text);
  return doc.at("rows");
}

TEST(JsonRowsPartWriterTest, WritesEveryTypeUnderARowsRoot) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  Row r;
  r.id = 7;
  r.b = true;
  r.i8 = -128;
  r.i16 = 32767;
  r.i32 = -2147483647 - 1;
  r.f = 0.1f;
  r.d = 0.1;
  r.s = "héllo";
  r.j = R"({"k": [1, 2, {"x": null}], "big": 12345678901234567890})";
  r.a = "[1, -2, 9007199254740993]";
  r.fv[0] = 1.5f;
  r.fv[1] = -0.0f;
  r.fv[2] = 3e-39f;  // subnormal
  r.bv[0] = 0;
  r.bv[1] = 255;
  Append(batch, r);
  Row r2;
  r2.id = 8;
  Append(batch, r2);

  auto w = JsonRowsPartWriter::Open(&storage, "out/c/t/part-00000", schema, "p1");
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Add(batch, 0, 2).ok());
  EXPECT_EQ((*w)->rows(), 2);
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dir, "out/c/t/part-00000");
  EXPECT_EQ(info->files, std::vector<std::string>{"out/c/t/part-00000/rows.json"});
  EXPECT_EQ(info->partition, "p1");
  EXPECT_EQ(info->rows, 2);
  const std::string text = storage.Content(info->files[0]);
  EXPECT_EQ(info->bytes, text.size());
  ASSERT_EQ(text.rfind("{\"rows\":[", 0), 0u) << text;

  json rows = ParseRows(text);
  ASSERT_EQ(rows.size(), 2u);
  const json& row = rows[0];
  EXPECT_EQ(row.size(), 12u);
  EXPECT_EQ(row["id"], 7);
  EXPECT_EQ(row["b"], true);
  EXPECT_EQ(row["i8"], -128);
  EXPECT_EQ(row["i16"], 32767);
  EXPECT_EQ(row["i32"], -2147483648LL);
  EXPECT_EQ(row["s"], "héllo");
  // JSON values travel as strings holding their exact text.
  EXPECT_EQ(row["j"], r.j);
  EXPECT_NE(text.find(R"("j":"{\"k\": [1, 2, {\"x\": null}], \"big\": 12345678901234567890}")"),
            std::string::npos);
  EXPECT_NE(text.find(R"("a":[1, -2, 9007199254740993])"), std::string::npos);
  EXPECT_NE(text.find(R"("f":0.1,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("fv":[1.5,-0.0,3e-39])"), std::string::npos) << text;
  EXPECT_EQ(row["bv"], json::array({0, 255}));
  EXPECT_EQ(rows[1]["b"], false);
  EXPECT_EQ(rows[1]["j"], "{}");
}

TEST(JsonRowsPartWriterTest, Int64ExtremesAreExactDigits) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    int64_t{9007199254740993}, int64_t{-9007199254740993}, int64_t{0}}) {
    Row r;
    r.id = v;
    Append(batch, r);
  }
  auto text = WritePart(storage, schema, batch);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find(R"({"id":-9223372036854775808,)"), std::string::npos);
  EXPECT_NE(text->find(R"({"id":9223372036854775807,)"), std::string::npos);
  EXPECT_NE(text->find(R"({"id":9007199254740993,)"), std::string::npos);
  EXPECT_NE(text->find(R"({"id":-9007199254740993,)"), std::string::npos);
  json rows = ParseRows(*text);
  EXPECT_EQ(rows[0]["id"].get<int64_t>(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(rows[1]["id"].get<int64_t>(), std::numeric_limits<int64_t>::max());
}

TEST(JsonRowsPartWriterTest, FloatsRoundTripBitForBit) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  std::mt19937_64 rng(42);
  std::vector<Row> expected;
  auto special_f = std::vector<float>{std::numeric_limits<float>::max(),
                                      std::numeric_limits<float>::lowest(),
                                      std::numeric_limits<float>::min(),
                                      std::numeric_limits<float>::denorm_min(),
                                      -0.0f, 1.0f / 3, 16777217.0f, 0.1f,
                                      std::bit_cast<float>(0x15ae43fdu),
                                      std::bit_cast<float>(0x95ae43fdu)};
  auto special_d = std::vector<double>{std::numeric_limits<double>::max(),
                                       std::numeric_limits<double>::lowest(),
                                       std::numeric_limits<double>::min(),
                                       std::numeric_limits<double>::denorm_min(),
                                       -0.0, 1.0 / 3, 9007199254740993.0, 0.1, 5e-324, 1e23};
  for (int i = 0; i < 2000; ++i) {
    Row r;
    r.id = i;
    if (i < static_cast<int>(special_f.size())) {
      r.f = special_f[i];
      r.d = special_d[i];
    } else {
      // Random bit patterns, skipping the non-finite ones.
      do r.f = std::bit_cast<float>(static_cast<uint32_t>(rng())); while (!std::isfinite(r.f));
      do r.d = std::bit_cast<double>(rng()); while (!std::isfinite(r.d));
    }
    for (float& c : r.fv) {
      do c = std::bit_cast<float>(static_cast<uint32_t>(rng())); while (!std::isfinite(c));
    }
    Append(batch, r);
    expected.push_back(r);
  }
  auto text = WritePart(storage, schema, batch);
  ASSERT_TRUE(text.ok()) << text.status();
  json rows = ParseRows(*text);
  ASSERT_EQ(rows.size(), expected.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    // nlohmann parses numbers as double (correctly rounded); a float's text read as double
    // and narrowed must give the same float (also for the one double-rounding case).
    EXPECT_EQ(std::bit_cast<uint32_t>(static_cast<float>(rows[i]["f"].get<double>())),
              std::bit_cast<uint32_t>(expected[i].f)) << "row " << i << ": " << rows[i]["f"];
    EXPECT_EQ(std::bit_cast<uint64_t>(rows[i]["d"].get<double>()),
              std::bit_cast<uint64_t>(expected[i].d)) << "row " << i;
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(std::bit_cast<uint32_t>(static_cast<float>(rows[i]["fv"][k].get<double>())),
                std::bit_cast<uint32_t>(expected[i].fv[k])) << "row " << i;
    }
  }
}

TEST(JsonRowsPartWriterTest, NumberTexts) {
  auto text = [](auto v) {
    std::string out;
    EXPECT_TRUE(AppendJsonNumber(v, &out).ok());
    return out;
  };
  EXPECT_EQ(text(0.1f), "0.1");
  EXPECT_EQ(text(3.0f), "3");
  EXPECT_EQ(text(-0.0f), "-0.0");
  EXPECT_EQ(text(1e38f), "1e+38");
  EXPECT_EQ(text(0.1), "0.1");
  EXPECT_EQ(text(-0.0), "-0.0");
  // Shortest is "7.038531e-26", which a reader going through double gets one ulp wrong.
  EXPECT_EQ(text(std::bit_cast<float>(0x15ae43fdu)), "7.0385307e-26");
  EXPECT_EQ(text(std::bit_cast<float>(0x95ae43fdu)), "-7.0385307e-26");
  std::string out;
  EXPECT_EQ(AppendJsonNumber(std::numeric_limits<double>::quiet_NaN(), &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(JsonRowsPartWriterTest, NonFiniteNumbersAreRefusedNamingFieldAndRow) {
  auto schema = AllTypesSchema();
  struct Case {
    const char* field;
    void (*poison)(Row&);
  };
  const Case cases[] = {
      {"f", [](Row& r) { r.f = std::numeric_limits<float>::quiet_NaN(); }},
      {"d", [](Row& r) { r.d = -std::numeric_limits<double>::infinity(); }},
      {"fv", [](Row& r) { r.fv[2] = std::numeric_limits<float>::infinity(); }},
  };
  for (const auto& c : cases) {
    MemoryStorage storage;
    Batch batch(schema);
    for (int i = 0; i < 3; ++i) {
      Row r;
      r.id = 100 + i;
      if (i == 2) c.poison(r);
      Append(batch, r);
    }
    auto w = JsonRowsPartWriter::Open(&storage, "p", schema, "");
    ASSERT_TRUE(w.ok());
    Status st = (*w)->Add(batch, 0, 3);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.field;
    std::string msg(st.message());
    EXPECT_NE(msg.find(StrCat("field '", c.field, "' of row 2, id=102")), std::string::npos)
        << msg;
    // The part is unusable after an error.
    EXPECT_EQ((*w)->Finish().status().code(), absl::StatusCode::kInvalidArgument);
    (*w)->Abandon();
    EXPECT_TRUE(storage.List("").value().empty());
  }
}

TEST(JsonRowsPartWriterTest, StringsAreEscaped) {
  std::string out;
  std::string control;
  for (int c = 0; c < 0x20; ++c) control.push_back(static_cast<char>(c));
  ASSERT_TRUE(AppendJsonString(control + "\"\\/\x7f", &out).ok());
  EXPECT_EQ(out,
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
            "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
            "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\x7f\"");
  EXPECT_EQ(json::parse(out).get<std::string>(), control + "\"\\/\x7f");

  out.clear();
  // 2-, 3- and 4-byte sequences pass through unchanged.
  const std::string utf8 = "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf";
  ASSERT_TRUE(AppendJsonString(utf8, &out).ok());
  EXPECT_EQ(out, "\"" + utf8 + "\"");
}

TEST(JsonRowsPartWriterTest, InvalidUtf8IsRefused) {
  for (std::string bad : {"\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xe2\x82"}) {
    std::string out;
    EXPECT_EQ(AppendJsonString(bad, &out).code(), absl::StatusCode::kInvalidArgument)
        << json(std::vector<uint8_t>(bad.begin(), bad.end())).dump();
  }

  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  Row r;
  r.id = 5;
  r.s = "ok\xff";
  Append(batch, r);
  auto text = WritePart(storage, schema, batch);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(text.status().message()).find("field 's' of row 0, id=5: invalid UTF-8"),
            std::string::npos)
      << text.status();
}

TEST(JsonRowsPartWriterTest, VarCharLongerThanMaxLengthIsRefused) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  Row r;
  r.s = std::string(65, 'x');
  Append(batch, r);
  auto text = WritePart(storage, schema, batch);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(text.status().message()).find("max_length 64"), std::string::npos);
}

TEST(JsonRowsPartWriterTest, JsonFieldValues) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  {
    Batch batch(schema);
    Row r;
    r.j = "  [1, 2]";
    Append(batch, r);
    r.j = "\"text\"";
    Append(batch, r);
    auto text = WritePart(storage, schema, batch);
    ASSERT_TRUE(text.ok()) << text.status();
    json rows = ParseRows(*text);
    EXPECT_EQ(rows[0]["j"], "  [1, 2]");
    EXPECT_EQ(rows[1]["j"], "\"text\"");
  }
  for (std::string bad : {"{", "{\"a\":}", "", "{\"s\":\"\xff\"}", "{} {}", "NaN"}) {
    Batch batch(schema);
    Row r;
    r.j = bad;
    Append(batch, r);
    auto text = WritePart(storage, schema, batch);
    EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(std::string(text.status().message()).find("field 'j'"), std::string::npos);
  }
}

TEST(JsonRowsPartWriterTest, ArrayValuesAreCheckedAgainstTheField) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  for (std::string bad : {"{}", "[1, 2, 3, 4, 5]", "[1.5]", "[\"x\"]",
                          "[9223372036854775808]", "[1,", "7"}) {
    Batch batch(schema);
    Row r;
    r.a = bad;
    Append(batch, r);
    auto text = WritePart(storage, schema, batch);
    EXPECT_EQ(text.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(std::string(text.status().message()).find("field 'a'"), std::string::npos);
  }
}

TEST(JsonRowsPartWriterTest, AutoIdPrimaryKeyGetsNoKey) {
  MemoryStorage storage;
  auto s = std::make_shared<Schema>(*AllTypesSchema());
  s->fields[0].auto_id = true;
  Batch batch(s);
  Append(batch, Row{});
  auto text = WritePart(storage, s, batch);
  ASSERT_TRUE(text.ok()) << text.status();
  json rows = ParseRows(*text);
  EXPECT_FALSE(rows[0].contains("id"));
  EXPECT_EQ(rows[0].size(), 11u);
}

TEST(JsonRowsPartWriterTest, UnsupportedTypeFailsAtOpen) {
  MemoryStorage storage;
  auto s = std::make_shared<Schema>();
  s->fields = {{.name = "id", .type = DataType::kInt64, .primary_key = true},
               {.name = "sp", .type = DataType::kSparseFloatVector}};
  auto w = JsonRowsPartWriter::Open(&storage, "p", s, "");
  EXPECT_EQ(w.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(std::string(w.status().message()).find("'sp'"), std::string::npos);
}

// A storage that records the Append calls of its files, to see that a part is streamed.
class RecordingStorage : public MemoryStorage {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWrite(std::string_view path) override {
    ASSIGN_OR_RETURN(auto inner, MemoryStorage::OpenWrite(path));
    return std::unique_ptr<WritableFile>(new File(std::move(inner), this));
  }
  std::vector<size_t> appends;

 private:
  class File : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> inner, RecordingStorage* owner)
        : inner_(std::move(inner)), owner_(owner) {}
    Status Append(std::string_view data) override {
      owner_->appends.push_back(data.size());
      return inner_->Append(data);
    }
    Status RewritePrefix(std::string_view data) override { return inner_->RewritePrefix(data); }
    Status Close() override { return inner_->Close(); }
    Status Abort() override { return inner_->Abort(); }
    uint64_t Size() const override { return inner_->Size(); }
    const std::string& name() const override { return inner_->name(); }

   private:
    std::unique_ptr<WritableFile> inner_;
    RecordingStorage* owner_;
  };
};

TEST(JsonRowsPartWriterTest, StreamsChunksLargerPartsThanOneChunk) {
  RecordingStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  for (int i = 0; i < 1000; ++i) {
    Row r;
    r.id = i;
    r.s = std::string(60, static_cast<char>('a' + i % 26));
    r.j = StrCat(R"({"n":)", i, R"(,"pad":")", std::string(1000, 'p'), "\"}");
    Append(batch, r);
  }
  auto w = JsonRowsPartWriter::Open(&storage, "p", schema, "");
  ASSERT_TRUE(w.ok());
  const int kBatches = 5;  // ~5.5 MB in all
  for (int k = 0; k < kBatches; ++k) ASSERT_TRUE((*w)->Add(batch, 0, 1000).ok());
  // Chunks went to the file while rows were added, each about one chunk.
  EXPECT_GE(storage.appends.size(), 4u);
  for (size_t n : storage.appends) EXPECT_LT(n, JsonRowsPartWriter::kChunkBytes + 2048);
  EXPECT_LT((*w)->bytes() - [&] {
    uint64_t sum = 0;
    for (size_t n : storage.appends) sum += n;
    return sum;
  }(), JsonRowsPartWriter::kChunkBytes);
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok());
  const std::string text = storage.Content("p/rows.json");
  EXPECT_EQ(info->bytes, text.size());
  EXPECT_GT(text.size(), 5 * JsonRowsPartWriter::kChunkBytes);
  json rows = ParseRows(text);
  ASSERT_EQ(rows.size(), 5000u);
  EXPECT_EQ(rows[4999]["id"], 999);
  EXPECT_EQ(json::parse(rows[4999]["j"].get<std::string>())["n"], 999);
}

TEST(JsonRowsPartWriterTest, AbandonLeavesNothing) {
  MemoryStorage storage;
  auto schema = AllTypesSchema();
  Batch batch(schema);
  for (int i = 0; i < 3000; ++i) {
    Row r;
    r.j = StrCat(R"({"pad":")", std::string(1000, 'p'), "\"}");
    Append(batch, r);
  }
  {
    auto w = JsonRowsPartWriter::Open(&storage, "p", schema, "");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add(batch, 0, 3000).ok());
    EXPECT_EQ((*w)->Add(batch, 2, 5000).code(), absl::StatusCode::kInternal);
    (*w)->Abandon();
  }
  EXPECT_TRUE(storage.List("").value().empty());
  {
    // Destroyed without Finish: also nothing.
    auto w = JsonRowsPartWriter::Open(&storage, "q", schema, "");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add(batch, 0, 3000).ok());
  }
  EXPECT_TRUE(storage.List("").value().empty());
}

}  // namespace
}  // namespace mm
