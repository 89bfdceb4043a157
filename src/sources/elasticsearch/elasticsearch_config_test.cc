#include "sources/elasticsearch/elasticsearch_config.h"

#include <gtest/gtest.h>

#include "config/config_limits.h"
#include "config/migration_config.h"

namespace mm {
namespace {

// The source section a parse returned (throws std::bad_cast if not Elasticsearch's).
const ElasticsearchConfig& Es(const MigrationConfig& c) {
  return dynamic_cast<const ElasticsearchConfig&>(*c.source);
}

// The Go tool's README_ES example, unchanged.
constexpr char kGoEsExample[] = R"(
dumper:
  worker:
    workMode: elasticsearch
    reader:
      bufferSize: 2500
meta:
  mode: config
  index: test_es_index
  fields:
    - name: id
      type: long
      pk: true
    - name: data
      type: dense_vector
      dims: 512
    - name: other_field
      type: keyword
      maxLen: 60
  milvus:
    collection: rename_test_name
    closeDynamicField: false
    shardNum: 2
    consistencyLevel: Customized
source:
  es:
    urls:
      - http://localhost:9200
    username: xxx
    password: xxx
target:
  mode: remote
  remote:
    outputDir: migration/test/xx
    cloud: aws
    region: us-west-2
    bucket: xxxxxxxxxx
    useIAM: true
    checkBucket: false
    endpoint: s3.amazonaws.com
  milvus2x:
    endpoint: localhost:19530
    username: xxxxx
    password: xxxxx
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ElasticsearchConfigTest, ParsesGoToolExample) {
  auto c = ParseMigrationConfig(kGoEsExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "elasticsearch");
  const ElasticsearchConfig& es = Es(*c);
  EXPECT_EQ(es.index, "test_es_index");
  ASSERT_EQ(es.fields.size(), 3u);
  EXPECT_EQ(es.fields[0].name, "id");
  EXPECT_TRUE(es.fields[0].pk);
  EXPECT_EQ(es.fields[1].type, "dense_vector");
  EXPECT_EQ(es.fields[1].dims, 512);
  EXPECT_EQ(es.fields[2].max_len, 60);
  EXPECT_EQ(es.collection, "rename_test_name");
  EXPECT_EQ(es.shard_num, 2);
  EXPECT_EQ(es.consistency_level, "Customized");
  EXPECT_EQ(es.connection.urls, std::vector<std::string>{"http://localhost:9200"});
  EXPECT_EQ(es.connection.username, "xxx");
  EXPECT_EQ(es.batch_docs, 2500);
  EXPECT_EQ(es.slices, 2);  // dumper.worker.limit's default
  EXPECT_FALSE(es.skip_invalid_docs);
}

TEST(ElasticsearchConfigTest, ErrorsNameTheKey) {
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "      dims: 512\n", "")).find("[meta.fields[1].dims]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "type: keyword", "type: geo_point"))
                .find("[meta.fields[2].type]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "  index: test_es_index\n", "")).find("[meta.index]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "      maxLen: 60", "      pk: true"))
                .find("more than one field has pk"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "    - name: data\n      type: dense_vector\n      dims: 512\n", ""))
                .find("dense_vector"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "    password: xxx\n", "")).find("[source.es."),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "consistencyLevel: Customized", "consistencyLevel: Loose"))
                .find("[meta.milvus.consistencyLevel]"),
            std::string::npos);
  // A password never appears in a message.
  std::string bad = Replace(kGoEsExample, "password: xxx", "password: s3cret-value");
  bad = Replace(bad, "    urls:\n      - http://localhost:9200\n", "");
  std::string message = ErrorOf(bad);
  EXPECT_NE(message.find("[source.es.urls]"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret-value"), std::string::npos);
}

TEST(ElasticsearchConfigTest, OurKeys) {
  std::string yaml = Replace(kGoEsExample, "  milvus:\n",
                             "  invalidDocs: skip\n  milvus:\n");
  yaml = Replace(yaml, "    username: xxx\n", "    slices: 4\n    readMode: scroll\n    username: xxx\n");
  yaml = Replace(yaml, "      maxLen: 60\n", "      maxLen: 60\n    - name: tags\n      type: keyword\n"
                                           "      isArray: true\n      maxCapacity: 16\n");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(Es(*c).skip_invalid_docs);
  EXPECT_EQ(Es(*c).slices, 4);
  EXPECT_EQ(Es(*c).read_mode, "scroll");
  EXPECT_NE(ErrorOf(Replace(yaml, "readMode: scroll", "readMode: fast")).find("[source.es.readMode]"),
            std::string::npos);
  ASSERT_EQ(Es(*c).fields.size(), 4u);
  EXPECT_TRUE(Es(*c).fields[3].is_array);
  EXPECT_EQ(Es(*c).fields[3].max_capacity, 16);
  EXPECT_FALSE(Es(*c).dynamic_unlisted_fields);

  yaml = Replace(yaml, "    closeDynamicField: false\n",
                 "    closeDynamicField: false\n    dynamicUnlistedFields: true\n");
  c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(Es(*c).dynamic_unlisted_fields);
  EXPECT_NE(ErrorOf(Replace(yaml, "closeDynamicField: false", "closeDynamicField: true"))
                .find("[meta.milvus.dynamicUnlistedFields] needs the dynamic field"),
            std::string::npos);
}

// dumper.invalidRows is the general form of meta.invalidDocs: either sets both; two that
// disagree are an error naming both keys.
TEST(ElasticsearchConfigTest, InvalidDocsIsAnAliasOfDumperInvalidRows) {
  auto plain = ParseMigrationConfig(kGoEsExample, "m.yaml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->skip_invalid_rows);
  EXPECT_FALSE(Es(*plain).skip_invalid_docs);
  EXPECT_LT(plain->max_invalid_ratio, 0);

  const std::string meta_skip = Replace(kGoEsExample, "  milvus:\n",
                                        "  invalidDocs: skip\n  milvus:\n");
  auto c = ParseMigrationConfig(meta_skip, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->skip_invalid_rows);

  const std::string dumper_skip =
      Replace(kGoEsExample, "dumper:\n", "dumper:\n  invalidRows: skip\n  maxInvalidRatio: 0.25\n");
  c = ParseMigrationConfig(dumper_skip, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(Es(*c).skip_invalid_docs);
  EXPECT_EQ(c->max_invalid_ratio, 0.25);

  const std::string both = Replace(meta_skip, "dumper:\n", "dumper:\n  invalidRows: skip\n");
  EXPECT_TRUE(ParseMigrationConfig(both, "m.yaml").ok());
  const std::string message =
      ErrorOf(Replace(meta_skip, "dumper:\n", "dumper:\n  invalidRows: fail\n"));
  EXPECT_NE(message.find("[dumper.invalidRows]"), std::string::npos) << message;
  EXPECT_NE(message.find("[meta.invalidDocs]"), std::string::npos) << message;

  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "dumper:\n", "dumper:\n  invalidRows: drop\n"))
                .find("[dumper.invalidRows] expected fail or skip, got 'drop'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "dumper:\n", "dumper:\n  maxInvalidRatio: 1.5\n"))
                .find("[dumper.maxInvalidRatio] must be between 0 and 1"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kGoEsExample, "dumper:\n", "dumper:\n  maxInvalidRatio: many\n"))
                .find("[dumper.maxInvalidRatio] expected a number"),
            std::string::npos);
}

struct EsNumber {
  const char* key;       // as named in messages
  const char* original;  // the text of kGoEsExample replaced
  const char* with;      // its replacement, X standing for the value
  int64_t min;           // the range the message names
  int64_t max;
  int64_t lowest_valid;  // min, or more where another rule applies (a dense_vector's dims)
};

// Every number of the Elasticsearch sections: the ends of the range pass; one past either
// end and numbers past int64 fail naming the key and the range.
TEST(ElasticsearchConfigTest, EveryNumberIsRangeChecked) {
  const EsNumber keys[] = {
      {"dumper.worker.reader.bufferSize", "bufferSize: 2500", "bufferSize: X", 1, kMaxEsPageDocs,
       1},
      {"meta.milvus.shardNum", "shardNum: 2", "shardNum: X", 0, kMaxShards, 0},
      {"meta.fields[1].dims", "dims: 512", "dims: X", 0, kMaxDim, 1},
      {"meta.fields[2].maxLen", "maxLen: 60", "maxLen: X", 0, 65535, 0},
      {"meta.fields[2].maxCapacity", "maxLen: 60", "maxLen: 60\n      maxCapacity: X", 0, 4096, 0},
      {"source.es.slices", "    username: xxx", "    username: xxx\n    slices: X", 0,
       kMaxEsSlices, 0},
  };
  for (const EsNumber& k : keys) {
    SCOPED_TRACE(k.key);
    auto with = [&](int64_t value) { return StrCat(value); };
    auto yaml = [&](const std::string& value) {
      std::string replacement = k.with;
      replacement.replace(replacement.find('X'), 1, value);
      return Replace(kGoEsExample, k.original, replacement);
    };
    EXPECT_EQ(ErrorOf(yaml(with(k.lowest_valid))), "");
    EXPECT_EQ(ErrorOf(yaml(with(k.max))), "");
    for (const std::string& bad :
         {with(k.min - 1), with(k.max + 1), std::string("99999999999999999999999")}) {
      const std::string message = ErrorOf(yaml(bad));
      EXPECT_NE(message.find(StrCat("[", k.key, "] must be between ", k.min, " and ", k.max)),
                std::string::npos)
          << bad << ": " << message;
    }
  }
}

// The Zilliz blog writes `workMode: Elasticsearch`; the Go tool's example uses no key we do
// not know.
TEST(ElasticsearchConfigTest, BlogSpellingAndStrict) {
  auto c = ParseMigrationConfig(
      Replace(kGoEsExample, "workMode: elasticsearch", "workMode: Elasticsearch"), "m.yaml",
      /*strict=*/true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "elasticsearch");
  EXPECT_EQ(Es(*c).fields.size(), 3u);
  auto typo = ParseMigrationConfig(Replace(kGoEsExample, "      dims: 512", "      dim: 512"),
                                   "m.yaml", /*strict=*/true);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "m.yaml: [meta.fields[1].dims] must be set (> 0) for a dense_vector");
  auto extra = ParseMigrationConfig(
      Replace(kGoEsExample, "      maxLen: 60", "      maxLen: 60\n      maxlength: 60"),
      "m.yaml", /*strict=*/true);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().message(),
            "m.yaml: unknown key [meta.fields[2].maxlength] (did you mean "
            "meta.fields[2].maxLen?); --strict refuses unknown keys");
}

}  // namespace
}  // namespace mm
