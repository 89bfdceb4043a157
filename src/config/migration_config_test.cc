#include "config/migration_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>

#include "config/config_limits.h"
#include "sources/faiss/faiss_config.h"
#include "sources/milvus1x/milvus1x_config.h"

namespace mm {
namespace {

// The source section a parse returned, as its kind's config (throws std::bad_cast if not).
const Milvus1xConfig& Milvus1x(const MigrationConfig& c) {
  return dynamic_cast<const Milvus1xConfig&>(*c.source);
}
const FaissConfig& Faiss(const MigrationConfig& c) {
  return dynamic_cast<const FaissConfig&>(*c.source);
}

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

void ExpectInvalid(const std::string& yaml, const std::string& key);

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
  EXPECT_EQ(Milvus1x(*c).meta_mode, "sqlite");
  EXPECT_EQ(Milvus1x(*c).meta_sqlite_file, "/db/meta.sqlite");
  EXPECT_EQ(Milvus1x(*c).tables_dir, "/db/tables/");
  EXPECT_EQ(c->dumper_limit, 20);
  EXPECT_EQ(c->output_dir, "output/migration");
  EXPECT_TRUE(c->collection.empty());  // 1.x names its own collections
}

TEST(MigrationConfigTest, Milvus1xMetaModes) {
  std::string mysql = Replace(kGoMilvus1xSqlite, "  mode: sqlite    # mode set sqlite will get meta info from sqlite\n  sqliteFile: /db/meta.sqlite",
                              "  mode: mysql\n  mysqlUrl: \"user:password@tcp(localhost:3306)/milvus?charset=utf8mb4&parseTime=True&loc=Local\"");
  auto c = ParseMigrationConfig(mysql, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Milvus1x(*c).meta_mode, "mysql");
  EXPECT_EQ(Milvus1x(*c).meta_mysql_url,
            "user:password@tcp(localhost:3306)/milvus?charset=utf8mb4&parseTime=True&loc=Local");

  std::string local = Replace(kGoMilvus1xSqlite, "  sqliteFile: /db/meta.sqlite", "  localFile: /x/meta.json");
  local = Replace(local, "mode: sqlite ", "mode: local ");
  c = ParseMigrationConfig(local, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Milvus1x(*c).meta_mode, "local");
  EXPECT_EQ(Milvus1x(*c).meta_local_file, "/x/meta.json");

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
  EXPECT_EQ(Milvus1x(*c).meta_mode, "local");
  EXPECT_EQ(Milvus1x(*c).meta_local_file, "./testfiles/milvus1x/test1w/meta.json");
}

TEST(MigrationConfigTest, Milvus1xNameMaps) {
  std::string yaml = Replace(kGoMilvus1xSqlite, "  milvus2x: # milvus2x connect info",
                             "  create:\n    collection:\n      nameMap:\n        old-name: new_name\n"
                             "    partition:\n      nameMap:\n        \"2023\": y2023\n"
                             "  milvus2x: # milvus2x connect info");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Milvus1x(*c).collection_name_map.at("old-name"), "new_name");
  EXPECT_EQ(Milvus1x(*c).partition_name_map.at("2023"), "y2023");
}

TEST(MigrationConfigTest, ParsesGoToolFaissExample) {
  auto c = ParseMigrationConfig(kGoFaissExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "faiss");
  EXPECT_EQ(c->dumper_limit, 20);
  EXPECT_EQ(c->loader_limit, 20);
  EXPECT_EQ(Faiss(*c).faiss_file, "/data/faiss.index");
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

TEST(MigrationConfigTest, FaissAllowTrailingBytes) {
  auto c = ParseMigrationConfig(kGoFaissExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(Faiss(*c).allow_trailing_bytes);
  const std::string with = Replace(kGoFaissExample, "    faissFile: /data/faiss.index",
                                   "    faissFile: /data/faiss.index\n"
                                   "  faiss:\n    allowTrailingBytes: true");
  c = ParseMigrationConfig(with, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(Faiss(*c).allow_trailing_bytes);
  ExpectInvalid(Replace(with, "allowTrailingBytes: true", "allowTrailingBytes: sometimes"),
                "source.faiss.allowTrailingBytes");
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

// target.remote.cloud takes the Go tool's S3-compatible clouds (azure has its own test); the endpoint
// may be left to the cloud's default; addressing picks the style.
TEST(MigrationConfigTest, RemoteCloudAddressingAndDefaultEndpoint) {
  auto gcp = ParseMigrationConfig(
      Replace(Replace(kGoFaissExample, "cloud: aws", "cloud: gcp\n    addressing: path"),
              "    endpoint: 127.0.0.1:9000\n", ""),
      "m.yaml", /*strict=*/true);
  ASSERT_TRUE(gcp.ok()) << gcp.status();
  EXPECT_EQ(gcp->target_remote.cloud, "gcp");
  EXPECT_EQ(gcp->target_remote.addressing, "path");
  EXPECT_EQ(gcp->target_remote.endpoint, "");
  for (const char* cloud : {"aws", "minio", "s3", "ali", "tc"}) {
    auto c = ParseMigrationConfig(Replace(kGoFaissExample, "cloud: aws",
                                          std::string("cloud: ") + cloud), "m.yaml");
    EXPECT_TRUE(c.ok()) << cloud << ": " << c.status();
  }
  auto unknown = ParseMigrationConfig(Replace(kGoFaissExample, "cloud: aws", "cloud: oracle"),
                                      "m.yaml");
  ASSERT_FALSE(unknown.ok());
  const std::string msg(unknown.status().message());
  EXPECT_NE(msg.find("target.remote.cloud"), std::string::npos) << msg;
  EXPECT_NE(msg.find("aws, minio, s3, gcp, ali, tc"), std::string::npos) << msg;
  ExpectInvalid(Replace(kGoFaissExample, "cloud: aws", "cloud: aws\n    addressing: dns"),
                "target.remote.addressing");
  ExpectInvalid(Replace(Replace(Replace(kGoFaissExample, "cloud: aws", "cloud: tc"),
                                "    endpoint: 127.0.0.1:9000\n", ""),
                        "    region: ap-southeast-1\n", ""),
                "target.remote.region");
}

// The Go tool's FAISS example with a dotted key set to `value` (written as is).
std::string WithKey(const std::string& yaml, const std::string& dotted, const std::string& value) {
  YAML::Node root = YAML::Load(yaml);
  std::vector<YAML::Node> path = {root};
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (dot == std::string::npos) {
      path.back()[part] = YAML::Load(value);
      break;
    }
    path.push_back(path.back()[part]);
    start = dot + 1;
  }
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

struct NumberKey {
  const char* key;
  int64_t min;
  int64_t max;
};

// Every number of the FAISS/1.x config: min and max pass; one past either end, and numbers
// far past int64, fail naming the key and the range.
TEST(MigrationConfigTest, EveryNumberIsRangeChecked) {
  const NumberKey keys[] = {
      {"dumper.worker.limit", 1, kMaxWorkers},
      {"loader.worker.limit", 1, kMaxWorkers},
      {"dumper.worker.reader.bufferSize", 1, int64_t{1} << 20},
      {"dumper.worker.writer.bufferSize", 1, int64_t{5} << 20},
      {"dumper.worker.partSizeMB", 1, 16384},
      {"loader.import.timeoutSeconds", 1, kMaxImportTimeoutS},
      {"retry.budgetSeconds", 1, kMaxRetryBudgetS},
      {"target.create.collection.shardsNum", 0, kMaxShards},
      {"target.create.collection.dim", 0, kMaxDim},
  };
  for (const NumberKey& k : keys) {
    SCOPED_TRACE(k.key);
    EXPECT_TRUE(ParseMigrationConfig(WithKey(kGoFaissExample, k.key, std::to_string(k.min)),
                                     "m.yaml").ok());
    EXPECT_TRUE(ParseMigrationConfig(WithKey(kGoFaissExample, k.key, std::to_string(k.max)),
                                     "m.yaml").ok());
    const std::string range = StrCat("between ", k.min, " and ", k.max);
    for (const std::string& bad :
         {std::to_string(k.min - 1), std::to_string(k.max + 1), std::string("9223372036854775807"),
          std::string("99999999999999999999999"), std::string("-99999999999999999999999")}) {
      auto c = ParseMigrationConfig(WithKey(kGoFaissExample, k.key, bad), "m.yaml");
      ASSERT_FALSE(c.ok()) << bad;
      EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
      const std::string message(c.status().message());
      EXPECT_NE(message.find(StrCat("[", k.key, "]")), std::string::npos) << message;
      EXPECT_NE(message.find(range), std::string::npos) << message;
      EXPECT_NE(message.find(bad), std::string::npos) << message;
    }
    ExpectInvalid(WithKey(kGoFaissExample, k.key, "12abc"), k.key);
    ExpectInvalid(WithKey(kGoFaissExample, k.key, "[1, 2]"), k.key);
  }
}

// The issue's inputs: an import timeout that overflowed into "timed out at once", and a
// buffer size whose KB-to-bytes product overflowed with an error naming no key.
TEST(MigrationConfigTest, IssueOverflowInputsNameTheKey) {
  auto timeout = ParseMigrationConfig(
      WithKey(kGoFaissExample, "loader.import.timeoutSeconds", "9223372036"), "m.yaml");
  ASSERT_FALSE(timeout.ok());
  EXPECT_NE(timeout.status().message().find(
                "[loader.import.timeoutSeconds] must be between 1 and 604800 seconds, got "
                "9223372036"),
            absl::string_view::npos)
      << timeout.status();
  auto buffer = ParseMigrationConfig(
      WithKey(kGoFaissExample, "dumper.worker.reader.bufferSize", "9007199254740993"), "m.yaml");
  ASSERT_FALSE(buffer.ok());
  EXPECT_NE(buffer.status().message().find(
                "[dumper.worker.reader.bufferSize] must be between 1 and 1048576 KB"),
            absl::string_view::npos)
      << buffer.status();
}

TEST(MigrationConfigTest, RetryBudgetDefaultsToOneMinute) {
  auto c = ParseMigrationConfig(kGoFaissExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->retry_budget_s, 60);
  auto set = ParseMigrationConfig(WithKey(kGoFaissExample, "retry.budgetSeconds", "3"), "m.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->retry_budget_s, 3);
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

// The Zilliz blog's FAISS example, as written there: `workMode: FAISS`, `FAISSFile:` and the
// Go tool's `shardsNums` (a key it never read).
constexpr char kBlogFaissExample[] = R"(
dumper:
  worker:
    limit: 2
    workMode: FAISS
    reader:
      bufferSize: 1024
    writer:
      bufferSize: 1024
loader:
  worker:
    limit: 2
source:
  mode: local
  local:
    FAISSFile: ./testfiles/FAISS/FAISS_ivf_flat.index
target:
  create:
    collection:
      name: test1w
      shardsNums: 2
      dim: 256
      metricType: L2
  mode: remote
  remote:
    outputDir: testfiles/output/
    cloud: aws
    endpoint: 0.0.0.0:9000
    region: ap-southeast-1
    bucket: a-bucket
    ak: minioadmin
    sk: minioadmin
    useIAM: false
    useSSL: false
    checkBucket: true
  milvus2x:
    endpoint: localhost:19530
    username: xxxxx
    password: xxxxx
)";

TEST(MigrationConfigTest, ParsesTheBlogsFaissExampleWhateverTheCase) {
  auto c = ParseMigrationConfig(kBlogFaissExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "faiss");
  EXPECT_EQ(Faiss(*c).faiss_file, "./testfiles/FAISS/FAISS_ivf_flat.index");
  EXPECT_EQ(c->collection, "test1w");
  EXPECT_EQ(c->dim, 256);
  // shardsNums is not shardsNum: ignored (with a warning), the default stays.
  auto seven = ParseMigrationConfig(Replace(kBlogFaissExample, "shardsNums: 2", "shardsNums: 7"),
                                    "m.yaml");
  ASSERT_TRUE(seven.ok()) << seven.status();
  EXPECT_EQ(seven->shards_num, 2);
  auto lower = ParseMigrationConfig(Replace(kBlogFaissExample, "FAISSFile", "faissfile"), "m");
  ASSERT_TRUE(lower.ok()) << lower.status();
  EXPECT_EQ(Faiss(*lower).faiss_file, Faiss(*c).faiss_file);
}

TEST(MigrationConfigTest, WorkModeValuesAreCaseInsensitive) {
  for (const char* mode : {"Faiss", "FAISS", "faiss"}) {
    auto c = ParseMigrationConfig(Replace(kGoFaissExample, "workMode: faiss",
                                          StrCat("workMode: ", mode)), "m.yaml");
    ASSERT_TRUE(c.ok()) << mode << ": " << c.status();
    EXPECT_EQ(c->work_mode, "faiss");
  }
  auto c = ParseMigrationConfig(Replace(kGoMilvus1xSqlite, "workMode: milvus1x",
                                        "workMode: Milvus1X"), "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "milvus1x");
  // An unsupported value is quoted as written.
  auto bad = ParseMigrationConfig(Replace(kGoFaissExample, "workMode: faiss",
                                          "workMode: Milvus3X"), "m.yaml");
  EXPECT_EQ(bad.status().message(),
            "m.yaml: [dumper.worker.workMode] 'Milvus3X' is not supported by this build; "
            "expected faiss, milvus2x, milvus1x, elasticsearch, postgres, mongodb or redis");
}

TEST(MigrationConfigTest, KeysDifferingOnlyByCaseAreAnError) {
  auto c = ParseMigrationConfig(
      Replace(kGoFaissExample, "    faissFile: /data/faiss.index",
              "    faissFile: /data/faiss.index\n    FaissFile: /data/other.index"),
      "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "m.yaml: [source.local.faissFile] and [source.local.FaissFile] are one key written "
            "twice (keys are case-insensitive); keep one");
}

TEST(MigrationConfigTest, StrictRefusesUnknownKeysNamingEach) {
  auto lenient = ParseMigrationConfig(kBlogFaissExample, "m.yaml", /*strict=*/false);
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  auto c = ParseMigrationConfig(
      Replace(kBlogFaissExample, "loader:\n", "loader:\n  cleenup: true\n"), "m.yaml",
      /*strict=*/true);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(c.status()));
  EXPECT_EQ(c.status().message(),
            "m.yaml: unknown key [loader.cleenup] (did you mean loader.cleanup?); unknown key "
            "[target.create.collection.shardsNums] (did you mean "
            "target.create.collection.shardsNum?); --strict refuses unknown keys");
}

// cloud: azure (or az) needs no endpoint (https://<ak>.blob.core.windows.net), but ak names
// the account even with useIAM, and sk is the key or a SAS unless useIAM.
TEST(MigrationConfigTest, AzureCloud) {
  for (const char* cloud : {"azure", "az"}) {
    std::string yaml = Replace(kGoFaissExample, "    cloud: aws\n    endpoint: 127.0.0.1:9000\n",
                               StrCat("    cloud: ", cloud, "\n"));
    auto c = ParseMigrationConfig(yaml, "m.yaml", /*strict=*/true);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->target_remote.cloud, cloud);
    EXPECT_TRUE(c->target_remote.endpoint.empty());
    ExpectInvalid(Replace(yaml, "    ak: minioadmin\n", ""), "target.remote.ak");
    ExpectInvalid(Replace(yaml, "    sk: minioadmin\n", ""), "target.remote.sk");
    EXPECT_TRUE(ParseMigrationConfig(
                    Replace(Replace(yaml, "    sk: minioadmin\n", ""), "useIAM: false",
                            "useIAM: true"),
                    "m.yaml")
                    .ok());
  }
  ExpectInvalid(Replace(kGoFaissExample, "cloud: aws", "cloud: azureblob"), "target.remote.cloud");
}

// The Go tool's own examples use no key we do not know (shardsNums aside, above).
TEST(MigrationConfigTest, GoToolExamplesPassStrict) {
  for (const char* yaml : {kGoFaissExample, kGoMilvus1xSqlite}) {
    auto c = ParseMigrationConfig(yaml, "m.yaml", /*strict=*/true);
    EXPECT_TRUE(c.ok()) << c.status();
  }
  // The 1.x README's remote source (with an endpoint, which this tool needs) and its MySQL
  // meta.
  std::string remote = Replace(
      kGoMilvus1xSqlite,
      "  mode: local   # source mode can set local or remote(s3,minio,gcp,ali-oss)\n  local:\n"
      "    tablesDir: /db/tables/  #milvus1.x data directory path",
      "  mode: remote\n  remote:\n    cloud: aws\n    endpoint: s3.amazonaws.com\n"
      "    region: us-west-2\n    bucket: xxxxx\n    ak: xxx\n    sk: xxx\n    useIAM: false\n"
      "    tablesDir: /xxx/tables/");
  std::string mysql = Replace(remote, "  mode: sqlite    # mode set sqlite will get meta info from "
                                      "sqlite\n  sqliteFile: /db/meta.sqlite",
                              "  mode: mysql\n  mysqlUrl: \"user:pw@tcp(localhost:3306)/milvus\"");
  for (const std::string& yaml : {remote, mysql}) {
    auto c = ParseMigrationConfig(yaml, "m.yaml", /*strict=*/true);
    EXPECT_TRUE(c.ok()) << c.status();
  }
  // Only the chosen mode's block is read; the other one is known all the same.
  auto both = ParseMigrationConfig(
      Replace(kGoFaissExample, "target:\n", "target:\n  local:\n    outputDir: /tmp/x\n"),
      "m.yaml", /*strict=*/true);
  EXPECT_TRUE(both.ok()) << both.status();
}


// loader.mode (ours) and target.milvus2x.writeMode (the Go tool's) name the same setting.
TEST(MigrationConfigTest, LoaderModeAndWriteMode) {
  auto plain = ParseMigrationConfig(kGoFaissExample, "m.yaml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->loader_mode, LoaderMode::kImport);  // faiss's default
  EXPECT_EQ(plain->milvus_max_send_bytes, 0);
  auto insert = ParseMigrationConfig(WithKey(kGoFaissExample, "loader.mode", "Insert"), "m.yaml");
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_EQ(insert->loader_mode, LoaderMode::kInsert);
  auto upsert = ParseMigrationConfig(
      WithKey(kGoFaissExample, "target.milvus2x.writeMode", "upsert"), "m.yaml");
  ASSERT_TRUE(upsert.ok()) << upsert.status();
  EXPECT_EQ(upsert->loader_mode, LoaderMode::kUpsert);
  auto both = ParseMigrationConfig(
      WithKey(WithKey(kGoFaissExample, "target.milvus2x.writeMode", "insert"), "loader.mode",
              "insert"),
      "m.yaml");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->loader_mode, LoaderMode::kInsert);
  auto limit = ParseMigrationConfig(
      WithKey(kGoFaissExample, "target.milvus2x.grpc", "{maxCallSendMsgSize: 4194304}"), "m.yaml");
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->milvus_max_send_bytes, 4194304);

  ExpectInvalid(WithKey(kGoFaissExample, "loader.mode", "bulk"), "loader.mode");
  ExpectInvalid(WithKey(kGoFaissExample, "target.milvus2x.writeMode", "import"),
                "target.milvus2x.writeMode");
  ExpectInvalid(WithKey(WithKey(kGoFaissExample, "target.milvus2x.writeMode", "insert"),
                        "loader.mode", "upsert"),
                "target.milvus2x.writeMode");
  ExpectInvalid(WithKey(WithKey(kGoFaissExample, "target.milvus2x.writeMode", "upsert"),
                        "loader.mode", "import"),
                "target.milvus2x.writeMode");
  ExpectInvalid(WithKey(kGoFaissExample, "target.milvus2x.grpc", "{maxCallSendMsgSize: 1000}"),
                "target.milvus2x.grpc.maxCallSendMsgSize");
}

}  // namespace
}  // namespace mm
