#include "config/migration_config.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

// The Go tool's FAISS example, unchanged.
constexpr char kGoFaissExample[] = R"(
dumper:
  worker:
    limit: 20
    workMode: faiss
    reader:
      bufferSize: 1024 # unit is KB
    writer:
      bufferSize: 1024 # unit is KB
loader:
  worker:
    limit: 20
source:
  mode: local   # local or remote
  local:
    faissFile: /data/faiss.index
target:
  mode: remote
  remote:
    outputDir: output/ # don't start with /
    cloud: aws
    endpoint: 127.0.0.1:9000
    region: ap-southeast-1
    bucket: a-bucket
    ak: minioadmin
    sk: minioadmin
    useIAM: false
    useSSL: false
    checkBucket: true
  milvus2x:
    endpoint: xxxxxx:19530
    username: xxxxx
    password: xxxxx
  create:
    collection:
      name: test
      shardsNum: 2
      dim: 512
      metricType: L2
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

// The Go tool's 1.x README examples (sqlite and mysql), unchanged.
constexpr char kGoMilvus1xSqlite[] = R"(
dumper:
  worker:
    limit: 20           # Number of collections allowed for concurrent dumping
    workMode: milvus1x
    reader:
      bufferSize: 1024  # read data buffer size,  unit is KB
    writer:
      bufferSize: 1024 # write data buffer size, unit is KB
loader:
  worker:
    limit: 20   # Number of collections allowed for concurrent loading
meta:
  mode: sqlite    # mode set sqlite will get meta info from sqlite
  sqliteFile: /db/meta.sqlite
source:
  mode: local   # source mode can set local or remote(s3,minio,gcp,ali-oss)
  local:
    tablesDir: /db/tables/  #milvus1.x data directory path
target:
  mode: remote
  remote:
    outputDir: output/ # don't start with /
    cloud: aws
    endpoint: 127.0.0.1:9000
    region: ap-southeast-1
    bucket: a-bucket    # bucket name, need same with milvus2.x bucket name
    ak: minioadmin
    sk: minioadmin
    useIAM: false
    useSSL: false
    checkBucket: true   #if bucket not exits will create bucket when set checkBucket=true
  milvus2x: # milvus2x connect info
    endpoint: xxxxxx:19530
    username: xxxxx
    password: xxxxx
)";

TEST(MigrationConfigTest, ParsesGoToolMilvus1xSqliteExample) {
  auto c = ParseMigrationConfig(kGoMilvus1xSqlite, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "milvus1x");
  EXPECT_EQ(c->meta_mode, "sqlite");
  EXPECT_EQ(c->meta_sqlite_file, "/db/meta.sqlite");
  EXPECT_EQ(c->tables_dir, "/db/tables/");
  EXPECT_EQ(c->dumper_limit, 20);
  EXPECT_EQ(c->output_dir, "output/migration");
  EXPECT_TRUE(c->collection.empty());  // 1.x names its own collections
}

TEST(MigrationConfigTest, Milvus1xMetaModes) {
  std::string mysql = Replace(kGoMilvus1xSqlite, "  mode: sqlite    # mode set sqlite will get meta info from sqlite\n  sqliteFile: /db/meta.sqlite",
                              "  mode: mysql\n  mysqlUrl: \"user:password@tcp(localhost:3306)/milvus?charset=utf8mb4&parseTime=True&loc=Local\"");
  auto c = ParseMigrationConfig(mysql, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->meta_mode, "mysql");
  EXPECT_EQ(c->meta_mysql_url,
            "user:password@tcp(localhost:3306)/milvus?charset=utf8mb4&parseTime=True&loc=Local");

  std::string local = Replace(kGoMilvus1xSqlite, "  sqliteFile: /db/meta.sqlite", "  localFile: /x/meta.json");
  local = Replace(local, "mode: sqlite ", "mode: local ");
  c = ParseMigrationConfig(local, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->meta_mode, "local");
  EXPECT_EQ(c->meta_local_file, "/x/meta.json");

  // The key a mode needs is named when missing.
  std::string missing = Replace(kGoMilvus1xSqlite, "  sqliteFile: /db/meta.sqlite\n", "");
  c = ParseMigrationConfig(missing, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("[meta.sqliteFile]"), std::string::npos)
      << c.status();

  std::string bad = Replace(kGoMilvus1xSqlite, "mode: sqlite ", "mode: oracle ");
  c = ParseMigrationConfig(bad, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("[meta.mode]"), std::string::npos);

  std::string no_tables = Replace(kGoMilvus1xSqlite, "    tablesDir: /db/tables/  #milvus1.x data directory path\n", "");
  c = ParseMigrationConfig(no_tables, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("[source.local.tablesDir]"),
            std::string::npos);
}

// The Go tool's own test config spells the meta under source.local.meta.
TEST(MigrationConfigTest, Milvus1xLegacyMetaKeys) {
  std::string legacy = Replace(kGoMilvus1xSqlite, "meta:\n  mode: sqlite    # mode set sqlite will get meta info from sqlite\n  sqliteFile: /db/meta.sqlite\n", "");
  legacy = Replace(legacy, "    tablesDir: /db/tables/", "    meta:\n      mode: mock\n      mockFile: ./testfiles/milvus1x/test1w/meta.json\n    tablesDir: /db/tables/");
  auto c = ParseMigrationConfig(legacy, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->meta_mode, "local");
  EXPECT_EQ(c->meta_local_file, "./testfiles/milvus1x/test1w/meta.json");
}

TEST(MigrationConfigTest, Milvus1xNameMaps) {
  std::string yaml = Replace(kGoMilvus1xSqlite, "  milvus2x: # milvus2x connect info",
                             "  create:\n    collection:\n      nameMap:\n        old-name: new_name\n"
                             "    partition:\n      nameMap:\n        \"2023\": y2023\n"
                             "  milvus2x: # milvus2x connect info");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->collection_name_map.at("old-name"), "new_name");
  EXPECT_EQ(c->partition_name_map.at("2023"), "y2023");
}

TEST(MigrationConfigTest, ParsesGoToolFaissExample) {
  auto c = ParseMigrationConfig(kGoFaissExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "faiss");
  EXPECT_EQ(c->dumper_limit, 20);
  EXPECT_EQ(c->loader_limit, 20);
  EXPECT_EQ(c->faiss_file, "/data/faiss.index");
  EXPECT_EQ(c->target_mode, "remote");
  EXPECT_EQ(c->output_dir, "output/migration");
  EXPECT_EQ(c->target_remote.endpoint, "127.0.0.1:9000");
  EXPECT_EQ(c->target_remote.bucket, "a-bucket");
  EXPECT_TRUE(c->target_remote.check_bucket);
  EXPECT_FALSE(c->target_remote.use_ssl);
  EXPECT_EQ(c->milvus_endpoint, "xxxxxx:19530");
  EXPECT_EQ(c->milvus_username, "xxxxx");
  EXPECT_EQ(c->collection, "test");
  EXPECT_EQ(c->shards_num, 2);
  EXPECT_EQ(c->dim, 512);
  EXPECT_EQ(c->metric_type, "L2");
  EXPECT_EQ(c->if_exists, IfCollectionExists::kFail);
  EXPECT_EQ(c->part_size_mb, 1024);
}

TEST(MigrationConfigTest, WorkModeInferredFromFaissFile) {
  auto c = ParseMigrationConfig(Replace(kGoFaissExample, "workMode: faiss", ""), "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "faiss");
}

TEST(MigrationConfigTest, LocalTargetIsAbsolute) {
  std::string y = Replace(kGoFaissExample, "mode: remote", "mode: local\n  local:\n    outputDir: out");
  auto c = ParseMigrationConfig(y, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->output_dir.front(), '/');
  EXPECT_NE(c->output_dir.find("/out/migration"), std::string::npos);
}

void ExpectInvalid(const std::string& yaml, const std::string& key) {
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("[" + key + "]"), absl::string_view::npos) << c.status();
  EXPECT_NE(c.status().message().find("m.yaml"), absl::string_view::npos) << c.status();
}

TEST(MigrationConfigTest, ErrorsNameTheKey) {
  ExpectInvalid(Replace(kGoFaissExample, "limit: 20\n    workMode", "limit: abc\n    workMode"),
                "dumper.worker.limit");
  ExpectInvalid(Replace(kGoFaissExample, "limit: 20\n    workMode", "limit: 0\n    workMode"),
                "dumper.worker.limit");
  ExpectInvalid(Replace(kGoFaissExample, "metricType: L2", "metricType: L3"),
                "target.create.collection.metricType");
  ExpectInvalid(Replace(kGoFaissExample, "faissFile: /data/faiss.index", "faissFile: "),
                "source.local.faissFile");
  ExpectInvalid(Replace(kGoFaissExample, "mode: remote", "mode: cloud"), "target.mode");
  ExpectInvalid(Replace(kGoFaissExample, "bucket: a-bucket", "bucket: "), "target.remote.bucket");
  ExpectInvalid(Replace(kGoFaissExample, "workMode: faiss", "workMode: hdf5"), "dumper.worker.workMode");
  ExpectInvalid(Replace(kGoFaissExample, "dim: 512", "dim: -1"), "target.create.collection.dim");
  ExpectInvalid(Replace(kGoFaissExample, "metricType: L2", "metricType: L2\n      ifExists: maybe"),
                "target.create.collection.ifExists");
}

TEST(MigrationConfigTest, IndexKeys) {
  auto c = ParseMigrationConfig(
      Replace(kGoFaissExample, "metricType: L2",
              "metricType: L2\n    index:\n      type: HNSW\n      params:\n        M: 16\n"
              "        efConstruction: 200\n    loadCollection: true"),
      "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index_type, "HNSW");
  EXPECT_EQ(c->index_params.at("M"), "16");
  EXPECT_EQ(c->index_params.at("efConstruction"), "200");
  EXPECT_TRUE(c->load_collection);
  EXPECT_TRUE(ParseMigrationConfig(kGoFaissExample, "m.yaml")->index_type.empty());
  ExpectInvalid(Replace(kGoFaissExample, "metricType: L2", "metricType: L2\n    loadCollection: true"),
                "target.create.loadCollection");
}

TEST(MigrationConfigTest, DumpNeedsNoMilvusEndpoint) {
  auto c = ParseMigrationConfig(Replace(kGoFaissExample, "endpoint: xxxxxx:19530", "endpoint: "),
                                "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->milvus_endpoint.empty());
}

TEST(MigrationConfigTest, BadYamlAndMissingFile) {
  auto c = ParseMigrationConfig("a: [1, 2", "bad.yaml");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  auto m = LoadMigrationConfig("/nonexistent/migration.yaml");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("/nonexistent/migration.yaml"), absl::string_view::npos);
}

TEST(MigrationConfigTest, RetryBudget) {
  EXPECT_EQ(ParseMigrationConfig(kGoFaissExample, "m.yaml")->retry_budget_s, 60);
  auto c = ParseMigrationConfig(
      Replace(kGoFaissExample, "loader:\n", "retry:\n  budgetSeconds: 120\nloader:\n"), "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->retry_budget_s, 120);
  ExpectInvalid(Replace(kGoFaissExample, "loader:\n", "retry:\n  budgetSeconds: 0\nloader:\n"),
                "retry.budgetSeconds");
  ExpectInvalid(Replace(kGoFaissExample, "loader:\n", "retry:\n  budgetSeconds: 86401\nloader:\n"),
                "retry.budgetSeconds");
}

}  // namespace
}  // namespace mm
