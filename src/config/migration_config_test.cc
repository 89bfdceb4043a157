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

}  // namespace
}  // namespace mm
