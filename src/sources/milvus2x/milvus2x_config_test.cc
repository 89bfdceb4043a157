#include "sources/milvus2x/milvus2x_config.h"

#include <gtest/gtest.h>

#include "config/migration_config.h"
#include "sources/milvus2x/milvus2x_source.h"

namespace mm {
namespace {

const Milvus2xConfig& M2x(const MigrationConfig& c) {
  return dynamic_cast<const Milvus2xConfig&>(*c.source);
}

// The issue's (and the Go tool's README_2X) example, with a bucket for the import load.
constexpr char kGoExample[] = R"(
dumper:
  worker:
    workMode: milvus2x
    reader:
      bufferSize: 500
meta:
  mode: config
  version: 2.3.0
  collection: src_coll
  fields: [{name: id}, {name: vec}]
  milvus: {collection: dst_coll, closeDynamicField: false, shardNum: 2,
           consistencyLevel: Customized, autoId: ""}
source:
  milvus2x: {endpoint: "host:19530", username: u, password: p, database: db1,
             grpc: {maxCallRecvMsgSize: 67108864, maxCallSendMsgSize: 268435456}}
target:
  mode: local
  local: {outputDir: /tmp/out}
  milvus2x: {endpoint: "host2:19530", username: u, password: p}
)";

TEST(Milvus2xConfig, ReadsTheGoToolsKeys) {
  auto c = ParseMigrationConfig(kGoExample, "m.yaml", /*strict=*/true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "milvus2x");
  const Milvus2xConfig& m = M2x(*c);
  EXPECT_EQ(m.batch_rows, 500);
  EXPECT_EQ(m.collections, std::vector<std::string>{"src_coll"});
  EXPECT_EQ(m.fields, (std::vector<std::string>{"id", "vec"}));
  EXPECT_EQ(m.target_collection, "dst_coll");
  EXPECT_FALSE(m.close_dynamic_field);
  EXPECT_EQ(m.shard_num, 2);
  EXPECT_EQ(m.consistency_level, "Customized");
  EXPECT_EQ(m.auto_id, "");
  EXPECT_EQ(m.endpoint, "host:19530");
  EXPECT_EQ(m.username, "u");
  EXPECT_EQ(m.password, "p");
  EXPECT_EQ(m.databases, std::vector<std::string>{"db1"});
  EXPECT_EQ(m.max_call_recv_msg_size, 67108864);
  EXPECT_EQ(m.max_call_send_msg_size, 268435456);
}

TEST(Milvus2xConfig, RecognisedWithoutWorkMode) {
  std::string yaml = kGoExample;
  yaml.replace(yaml.find("    workMode: milvus2x\n"), 23, "");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "milvus2x");
}

TEST(Milvus2xConfig, ManyCollectionsAndDatabases) {
  constexpr char kYaml[] = R"(
dumper: {worker: {workMode: milvus2x}}
meta: {collections: "*"}
source: {milvus2x: {endpoint: "h:1", databases: [a, b]}}
target: {mode: local, local: {outputDir: /tmp/o}, milvus2x: {endpoint: "h:2"}}
)";
  auto c = ParseMigrationConfig(kYaml, "m.yaml", true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(M2x(*c).collections, std::vector<std::string>{"*"});
  EXPECT_EQ(M2x(*c).databases, (std::vector<std::string>{"a", "b"}));
}

TEST(Milvus2xConfig, BadValuesNameTheKey) {
  struct Case {
    std::string from, to, key;
  };
  const Case cases[] = {
      {"autoId: \"\"", "autoId: maybe", "[meta.milvus.autoId]"},
      {"consistencyLevel: Customized", "consistencyLevel: Firm", "[meta.milvus.consistencyLevel]"},
      {"bufferSize: 500", "bufferSize: 20000", "[dumper.worker.reader.bufferSize]"},
      {"endpoint: \"host:19530\", ", "", "[source.milvus2x.endpoint]"},
      {"username: u, password: p, database: db1",
       "username: u, database: db1", "[source.milvus2x.password]"},
      {"collection: src_coll\n", "collection: src_coll\n  collections: [a]\n",
       "[meta.collections]"},
      {"database: db1", "database: db1, databases: [x]", "[source.milvus2x.databases]"},
      {"mode: config", "mode: sqlite", "[meta.mode]"},
      {"fields: [{name: id}, {name: vec}]", "fields: [{name: id}, {name: id}]",
       "[meta.fields[1].name]"},
  };
  for (const Case& tc : cases) {
    std::string yaml = kGoExample;
    const size_t at = yaml.find(tc.from);
    ASSERT_NE(at, std::string::npos) << tc.from;
    yaml.replace(at, tc.from.size(), tc.to);
    auto c = ParseMigrationConfig(yaml, "m.yaml");
    ASSERT_FALSE(c.ok()) << tc.to;
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
    EXPECT_NE(c.status().message().find(tc.key), std::string::npos) << c.status();
  }
}

TEST(Milvus2xConfig, OneTargetNameNeedsOneCollection) {
  std::string yaml = kGoExample;
  yaml.replace(yaml.find("collection: src_coll\n"), 21, "collections: [a, b]\n");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("[meta.milvus.collection]"), std::string::npos);
}

TEST(PkRangeExpr, BoundsAndQuoting) {
  EXPECT_EQ(PkRangeExpr("id", DataType::kInt64, {}), "");
  EXPECT_EQ(PkRangeExpr("id", DataType::kInt64, {std::string("-5"), std::nullopt}), "id > -5");
  EXPECT_EQ(PkRangeExpr("id", DataType::kInt64, {std::string("1"), std::string("9")}),
            "id > 1 && id <= 9");
  EXPECT_EQ(PkRangeExpr("k", DataType::kVarChar, {std::nullopt, std::string("a\"b\\c")}),
            "k <= \"a\\\"b\\\\c\"");
}

}  // namespace
}  // namespace mm
