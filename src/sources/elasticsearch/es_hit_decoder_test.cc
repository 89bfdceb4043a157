#include "sources/elasticsearch/es_hit_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

namespace mm {
namespace {

using ::testing::HasSubstr;

EsCollectionSchema TestSchema() {
  ElasticsearchConfig c;
  c.index = "docs";
  auto field = [](std::string name, std::string type) {
    EsFieldConfig f;
    f.name = std::move(name);
    f.type = std::move(type);
    return f;
  };
  auto vec = field("emb", "dense_vector");
  vec.dims = 3;
  auto title = field("title", "keyword");
  title.max_len = 10;
  auto tags = field("tags", "keyword");
  tags.is_array = true;
  tags.max_capacity = 3;
  c.fields = {vec,          title,           field("n", "long"),    field("small", "byte"),
              field("ok", "boolean"), field("at", "date"), field("meta", "object"),
              field("user.name", "keyword"), tags, field("score", "float")};
  auto mapped = MapEsSchema(c, "docs");
  EXPECT_TRUE(mapped.ok()) << mapped.status();
  return *mapped;
}

std::string Hit(const std::string& id, const std::string& source, const std::string& fields) {
  return R"({"_index":"docs","_id":")" + id + R"(","_source":)" + source +
         R"(,"fields":)" + fields + R"(,"sort":[5,")" + id + R"("]})";
}

std::string Response(const std::vector<std::string>& hits) {
  std::string out = R"({"pit_id":"PIT1","took":1,"hits":{"total":{"value":1},"hits":[)";
  for (size_t i = 0; i < hits.size(); ++i) out += (i ? "," : "") + hits[i];
  return out + "]}}";
}

const char kGoodSource[] =
    R"({"emb":[0.5,-1.25,3.0],"title":"hello","n":"9007199254740993","small":-128,"ok":true,)"
    R"("meta":{"a":[1,2],"b":"x"},"user":{"name":"ann"},"tags":["a","b\"q"],"score":1.5})";
const char kGoodFields[] = R"({"at":["1700000000123"]})";

TEST(EsHitDecoderTest, DecodesEveryType) {
  EsCollectionSchema s = TestSchema();
  EsHitDecoder decoder(s, "docs", false);
  Batch batch(s.schema);
  auto page = decoder.Decode(Response({Hit("doc-1", kGoodSource, kGoodFields)}), &batch);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->hits, 1);
  EXPECT_EQ(page->rows, 1);
  EXPECT_EQ(page->pit_id, "PIT1");
  EXPECT_EQ(page->last_sort, R"([5,"doc-1"])");
  ASSERT_EQ(batch.num_rows(), 1);
  ASSERT_TRUE(batch.Validate().ok());
  EXPECT_EQ(batch.column(0).value(0), "doc-1");  // _id primary key
  float v[3];
  std::memcpy(v, batch.column(1).row(0), sizeof v);
  EXPECT_EQ(v[0], 0.5f);
  EXPECT_EQ(v[1], -1.25f);
  EXPECT_EQ(batch.column(2).value(0), "hello");
  EXPECT_EQ(batch.column(3).scalar<int64_t>(0), 9007199254740993);  // exact, from a string
  EXPECT_EQ(batch.column(4).scalar<int8_t>(0), -128);
  EXPECT_EQ(batch.column(5).scalar<uint8_t>(0), 1);
  EXPECT_EQ(batch.column(6).scalar<int64_t>(0), 1700000000123);
  EXPECT_EQ(batch.column(7).value(0), R"({"a":[1,2],"b":"x"})");
  EXPECT_EQ(batch.column(8).value(0), "ann");  // dotted path into an object
  EXPECT_EQ(batch.column(9).value(0), R"(["a","b\"q"])");
  EXPECT_EQ(batch.column(10).scalar<float>(0), 1.5f);
}

TEST(EsHitDecoderTest, VectorFromFieldsWhenExcludedFromSource) {
  EsCollectionSchema s = TestSchema();
  EsHitDecoder decoder(s, "docs", false);
  Batch batch(s.schema);
  std::string source = kGoodSource;
  source.replace(source.find(R"("emb":[0.5,-1.25,3.0],)"), 22, "");
  auto page = decoder.Decode(
      Response({Hit("d", source, R"({"at":[1700000000123],"emb":[0.5,-1.25,3.0]})")}), &batch);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(batch.num_rows(), 1);
  float v[3];
  std::memcpy(v, batch.column(1).row(0), sizeof v);
  EXPECT_EQ(v[2], 3.0f);
}

TEST(EsHitDecoderTest, InvalidDocumentsFailOrAreSkipped) {
  EsCollectionSchema s = TestSchema();
  std::string missing = kGoodSource;
  missing.replace(missing.find(R"("title":"hello",)"), 16, "");
  std::string too_long = kGoodSource;
  too_long.replace(too_long.find("hello"), 5, "hello world!");
  std::string wrong_dims = kGoodSource;
  wrong_dims.replace(wrong_dims.find("[0.5,-1.25,3.0]"), 15, "[0.5]");
  std::string overflow = kGoodSource;
  overflow.replace(overflow.find("-128"), 4, "300");
  std::string body = Response({Hit("ok-1", kGoodSource, kGoodFields),
                               Hit("bad-missing", missing, kGoodFields),
                               Hit("bad-long", too_long, kGoodFields),
                               Hit("bad-dims", wrong_dims, kGoodFields),
                               Hit("bad-byte", overflow, kGoodFields),
                               Hit("ok-2", kGoodSource, kGoodFields)});

  EsHitDecoder strict(s, "docs", false);
  Batch batch(s.schema);
  auto page = strict.Decode(body, &batch);
  ASSERT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(page.status().message()),
              HasSubstr("document _id 'bad-missing': field 'title' is missing"));

  EsHitDecoder lenient(s, "docs", true);
  Batch kept(s.schema);
  page = lenient.Decode(body, &kept);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->hits, 6);
  EXPECT_EQ(page->rows, 2);
  EXPECT_EQ(page->skipped, 4);
  ASSERT_TRUE(kept.Validate().ok());  // nothing half-appended
  EXPECT_EQ(kept.column(0).value(1), "ok-2");
  // The skipped documents travel with the batch, each after the rows read before it.
  ASSERT_EQ(kept.skips().size(), 4u);
  EXPECT_EQ(kept.skips()[0].before, 1);
  EXPECT_EQ(kept.skips()[0].row.row, "document _id 'bad-missing'");
  EXPECT_EQ(kept.skips()[0].row.reason, "field 'title' is missing");
  EXPECT_EQ(kept.skips()[3].row.row, "document _id 'bad-byte'");
}

TEST(EsHitDecoderTest, NotASearchResponseIsDataLoss) {
  EsCollectionSchema s = TestSchema();
  EsHitDecoder decoder(s, "docs", false);
  Batch batch(s.schema);
  EXPECT_EQ(decoder.Decode("not json", &batch).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decoder.Decode(R"({"acknowledged":true})", &batch).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(EsHitDecoderTest, PagesSomeShardsFailedToAnswerAreRefused) {
  EsHitDecoder decoder(TestSchema(), "docs", false);
  const std::string hits = R"("hits":{"hits":[)" + Hit("a", kGoodSource, kGoodFields) + "]}}";
  // Contexts gone on some shards: NotFound, so the reader may reopen one.
  Batch batch(TestSchema().schema);
  auto lost = decoder.Decode(
      R"({"_shards":{"total":3,"successful":2,"failed":1,"failures":[{"shard":1,)"
      R"("reason":{"type":"search_context_missing_exception","reason":"No search context"}}]},)" +
          hits,
      &batch);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(lost.status().message()), HasSubstr("1 of 3 shards"));
  EXPECT_EQ(batch.num_rows(), 0);
  // A context released while the page was read: lost too.
  auto closed = decoder.Decode(
      R"({"_shards":{"total":3,"successful":2,"failed":1,"failures":[{"shard":2,"reason":)"
      R"({"type":"illegal_state_exception",)"
      R"("reason":"already closed, can't increment ref count"}}]},)" + hits,
      &batch);
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(batch.num_rows(), 0);
  // Any other failure: the page is not taken either.
  auto failed = decoder.Decode(
      R"({"_shards":{"total":2,"successful":1,"failed":1,"failures":[{"shard":0,)"
      R"("reason":{"type":"circuit_breaking_exception","reason":"too big"}}]},)" + hits,
      &batch);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("circuit_breaking_exception"));
  EXPECT_EQ(batch.num_rows(), 0);
  // No failure: the page is read.
  auto ok = decoder.Decode(R"({"_shards":{"total":2,"successful":2,"failed":0},)" + hits,
                           &batch);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(batch.num_rows(), 1);
}

TEST(EsHitDecoderTest, UnlistedSourceFieldsGoToTheDynamicField) {
  ElasticsearchConfig c;
  c.index = "docs";
  c.dynamic_unlisted_fields = true;
  c.fields = {EsFieldConfig{.name = "emb", .type = "dense_vector", .dims = 1},
              EsFieldConfig{.name = "user.name", .type = "keyword"}};
  auto mapped = MapEsSchema(c, "docs");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_EQ(mapped->schema->fields.back().name, "$meta");
  EsHitDecoder decoder(*mapped, "docs", false);
  Batch batch(mapped->schema);
  auto page = decoder.Decode(
      Response({Hit("a", R"({"emb":[1.5],"user":{"name":"ann","age":7},"q\"k":[1,{"x":null}],)"
                         R"("solo":{"name":"kept"}})",
                    "{}"),
                Hit("b", R"({"emb":[2.5],"user":{"name":"bob"}})", "{}")}),
      &batch);
  ASSERT_TRUE(page.ok()) << page.status();
  const Column& meta = batch.column(mapped->schema->fields.size() - 1);
  EXPECT_EQ(meta.value(0), R"({"user":{"age":7},"q\"k":[1,{"x":null}],"solo":{"name":"kept"}})");
  EXPECT_EQ(meta.value(1), "{}");

  // A key that is also a Milvus field's name would be read as that field by an import.
  Batch clash(mapped->schema);
  auto refused = decoder.Decode(
      Response({Hit("c", R"({"emb":[1.0],"user":{"name":"x"},"user_name":"y"})", "{}")}), &clash);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("'user_name'"));
}

TEST(EsHitDecoderTest, BitVectorsFromHexStringsAndByteArrays) {
  ElasticsearchConfig c;
  c.index = "docs";
  EsFieldConfig bits{.name = "bits", .type = "dense_vector", .dims = 64};
  c.fields = {bits};
  auto mapped = MapEsSchema(c, "docs", {"bits"});
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EsHitDecoder decoder(*mapped, "docs", true);
  Batch batch(mapped->schema);
  const std::string want("\x00\x01\x7f\x80\xab\xcd\xef\xff", 8);
  auto page = decoder.Decode(
      Response({Hit("hex", R"({"bits":"00017f80abCDefff"})", "{}"),
                Hit("bytes", R"({"bits":[0,1,127,-128,-85,-51,-17,-1]})", "{}"),
                Hit("fields", "{}", R"({"bits":[[0,1,127,-128,-85,-51,-17,-1]]})"),
                Hit("short", R"({"bits":"0001"})", "{}"),
                Hit("not-hex", R"({"bits":"00017f80abcdefgg"})", "{}"),
                Hit("too-big", R"({"bits":[0,1,127,128,-85,-51,-17,-1]})", "{}"),
                Hit("seven", R"({"bits":[0,1,127,-128,-85,-51,-17]})", "{}")}),
      &batch);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->rows, 3);
  EXPECT_EQ(page->skipped, 4);
  ASSERT_EQ(batch.num_rows(), 3);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(batch.column(1).row(i)), 8), want) << i;
  }
  EsHitDecoder strict(*mapped, "docs", false);
  Batch none(mapped->schema);
  auto bad = strict.Decode(Response({Hit("short", R"({"bits":"0001"})", "{}")}), &none);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("field 'bits' is a hex string of 4 digits, expected 16 for 64 bits"));
}

}  // namespace
}  // namespace mm
