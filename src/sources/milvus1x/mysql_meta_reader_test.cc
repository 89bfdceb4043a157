#include "sources/milvus1x/mysql_meta_reader.h"

#include <arpa/inet.h>
#include <mysql.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sources/milvus1x/milvus1x_meta_test_data.h"

namespace mm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The schema Milvus 0.10-1.1 creates in MySQL (MySQLMetaImpl; docs/milvus1x-meta.md).
constexpr char kMysqlDdl[] = R"sql(
CREATE TABLE IF NOT EXISTS Environment (global_lsn BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS Tables (id BIGINT PRIMARY KEY AUTO_INCREMENT,
  table_id VARCHAR(255) UNIQUE NOT NULL, state INT NOT NULL, dimension SMALLINT NOT NULL,
  created_on BIGINT NOT NULL, flag BIGINT DEFAULT 0 NOT NULL,
  index_file_size BIGINT DEFAULT 1024 NOT NULL, engine_type INT DEFAULT 1 NOT NULL,
  index_params VARCHAR(512) NOT NULL, metric_type INT DEFAULT 1 NOT NULL,
  owner_table VARCHAR(255) NOT NULL, partition_tag VARCHAR(255) NOT NULL,
  version VARCHAR(64) DEFAULT '1.1.0', flush_lsn BIGINT DEFAULT 0 NOT NULL);
CREATE TABLE IF NOT EXISTS TableFiles (id BIGINT PRIMARY KEY AUTO_INCREMENT,
  table_id VARCHAR(255) NOT NULL, segment_id VARCHAR(255) NOT NULL,
  engine_type INT DEFAULT 1 NOT NULL, file_id VARCHAR(255) NOT NULL,
  file_type INT DEFAULT 0 NOT NULL, file_size BIGINT DEFAULT 0 NOT NULL,
  row_count BIGINT DEFAULT 0 NOT NULL, updated_time BIGINT NOT NULL, created_on BIGINT NOT NULL,
  date INT DEFAULT -1 NOT NULL, flush_lsn BIGINT DEFAULT 0 NOT NULL);
CREATE TABLE IF NOT EXISTS Fields (collection_id VARCHAR(255) NOT NULL,
  field_name VARCHAR(255) NOT NULL, field_type INT DEFAULT 0 NOT NULL,
  field_params VARCHAR(255) NOT NULL);
)sql";

struct MysqlCloser {
  void operator()(MYSQL* m) const { mysql_close(m); }
};

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string EnvFileValue(const char* key) {
  const char* path = getenv("MM_TEST_MYSQL_ENV");
  if (path == nullptr) return "";
  std::ifstream in(path);
  std::string line;
  const std::string prefix = std::string(key) + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// Each test gets a fresh database on the server MM_TEST_MYSQL_DSN names (scripts/test.sh
// starts one with scripts/mariadb.sh), dropped afterwards.
class MysqlMetaReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* env = getenv("MM_TEST_MYSQL_DSN");
    if (env == nullptr || *env == '\0') {
      GTEST_SKIP() << "MM_TEST_MYSQL_DSN is not set: run `scripts/mariadb.sh start --dir D "
                      "--port P` and export MM_TEST_MYSQL_DSN from D/mariadb.env "
                      "(scripts/test.sh does both)";
    }
    auto dsn = ParseMysqlDsn(env);
    ASSERT_TRUE(dsn.ok()) << dsn.status();
    dsn_ = *dsn;
    admin_.reset(mysql_init(nullptr));
    unsigned int tcp = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(admin_.get(), MYSQL_OPT_PROTOCOL, &tcp);
    ASSERT_NE(mysql_real_connect(admin_.get(), dsn_.host.c_str(), dsn_.user.c_str(),
                                 dsn_.password.c_str(), dsn_.database.c_str(),
                                 static_cast<unsigned int>(dsn_.port), nullptr, 0),
              nullptr)
        << "cannot connect to " << dsn_.Redacted() << ": " << mysql_error(admin_.get());
    static std::atomic<int> counter{0};
    dsn_.database = StrCat("mm_meta_test_", getpid(), "_", counter++);
    Run(StrCat("DROP DATABASE IF EXISTS `", dsn_.database, "`"));
    Run(StrCat("CREATE DATABASE `", dsn_.database, "`"));
    Run(StrCat("USE `", dsn_.database, "`"));
  }
  void TearDown() override {
    if (admin_) Run(StrCat("DROP DATABASE IF EXISTS `", dsn_.database, "`"));
  }

  // Runs ';'-separated statements.
  void Run(const std::string& sql) {
    size_t start = 0;
    while (start < sql.size()) {
      size_t end = sql.find(';', start);
      if (end == std::string::npos) end = sql.size();
      const std::string stmt = sql.substr(start, end - start);
      start = end + 1;
      if (stmt.find_first_not_of(" \n\t") == std::string::npos) continue;
      ASSERT_EQ(mysql_real_query(admin_.get(), stmt.data(), stmt.size()), 0)
          << mysql_error(admin_.get()) << " in: " << stmt;
    }
  }

  MysqlDsn dsn_;
  std::unique_ptr<MYSQL, MysqlCloser> admin_;
};

TEST_F(MysqlMetaReaderTest, ReadsTheRealSchema) {
  Run(kMysqlDdl);
  Run(testdata::kRows);
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(testdata::Summary(*meta), testdata::kExpected);
}

TEST_F(MysqlMetaReaderTest, EveryStateButToDeleteIsLive) {
  Run(kMysqlDdl);
  Run(testdata::kRows);
  Run(testdata::kOtherLiveStates);
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(testdata::Summary(*meta), testdata::kExpected);
}

TEST_F(MysqlMetaReaderTest, PartitionWithoutItsOwnerIsDataLossNamingIt) {
  Run(kMysqlDdl);
  Run(testdata::kRows);
  Run(testdata::kOrphanPartition);
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("partition 'p1'"), HasSubstr("'1690000000000000001'"),
                    HasSubstr("'no_such_collection'")));
}

TEST_F(MysqlMetaReaderTest, TcpLocalhostMeansTcpNotTheSocket) {
  Run(kMysqlDdl);
  Run(testdata::kRows);
  MysqlDsn dsn = dsn_;
  dsn.host = "localhost";
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->rows, 250);
}

TEST_F(MysqlMetaReaderTest, UnixSocket) {
  const std::string socket = EnvFileValue("MM_MYSQL_SOCKET");
  if (socket.empty()) GTEST_SKIP() << "MM_TEST_MYSQL_ENV names no MM_MYSQL_SOCKET";
  Run(kMysqlDdl);
  Run(testdata::kRows);
  auto dsn = ParseMysqlDsn(StrCat(dsn_.user, ":", dsn_.password, "@unix(", socket, ")/",
                                  dsn_.database));
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  auto meta = ReadMysqlMeta(*dsn);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(testdata::Summary(*meta), testdata::kExpected);
}

TEST_F(MysqlMetaReaderTest, WrongPasswordIsUnauthenticated) {
  MysqlDsn dsn = dsn_;
  dsn.password = "Wr0ngPassw0rd";
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_TRUE(absl::IsUnauthenticated(meta.status())) << meta.status();
  const std::string msg(meta.status().message());
  EXPECT_THAT(msg, AllOf(HasSubstr("'" + dsn.user + "'"),
                         HasSubstr(StrCat(dsn.host, ":", dsn.port)), Not(HasSubstr("Wr0ng"))));
}

TEST_F(MysqlMetaReaderTest, UnknownUserIsUnauthenticated) {
  MysqlDsn dsn = dsn_;
  dsn.user = "nobody_here";
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_TRUE(absl::IsUnauthenticated(meta.status())) << meta.status();
}

TEST_F(MysqlMetaReaderTest, UnreachablePortIsUnavailable) {
  MysqlDsn dsn = dsn_;
  dsn.port = FreePort();
  const auto t0 = std::chrono::steady_clock::now();
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_TRUE(absl::IsUnavailable(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr(StrCat("127.0.0.1:", dsn.port)));
  EXPECT_THAT(std::string(meta.status().message()), Not(HasSubstr(dsn.password)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(MysqlMetaReaderTest, SilentServerTimesOutAsUnavailable) {
  // Accepts TCP connections (the kernel does, from the backlog) but never greets.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  MysqlDsn dsn = dsn_;
  dsn.port = ntohs(addr.sin_port);
  dsn.params["timeout"] = "1s";
  const auto t0 = std::chrono::steady_clock::now();
  auto meta = ReadMysqlMeta(dsn);
  const auto took = std::chrono::steady_clock::now() - t0;
  close(fd);
  ASSERT_TRUE(absl::IsUnavailable(meta.status())) << meta.status();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(MysqlMetaReaderTest, UnknownDatabaseIsNotFound) {
  MysqlDsn dsn = dsn_;
  dsn.database = "no_such_milvus_db";
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_TRUE(absl::IsNotFound(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr("'no_such_milvus_db'"));
}

TEST_F(MysqlMetaReaderTest, MissingTableIsDataLoss) {
  Run(kMysqlDdl);
  Run("DROP TABLE TableFiles");
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr("TableFiles"));
}

TEST_F(MysqlMetaReaderTest, OldSchemaWithoutIndexParamsIsDataLoss) {
  // Milvus 0.6-0.8 kept `nlist` where 0.9+ has index_params.
  Run(kMysqlDdl);
  Run("ALTER TABLE Tables DROP COLUMN index_params; ALTER TABLE Tables ADD COLUMN nlist INT");
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("table Tables"), HasSubstr("index_params")));
}

TEST_F(MysqlMetaReaderTest, NoLiveCollectionIsInvalidArgument) {
  Run(kMysqlDdl);
  Run("INSERT INTO Tables VALUES (1,'c',1,8,0,0,0,1,'{}',1,'','','',0)");
  auto meta = ReadMysqlMeta(dsn_);
  ASSERT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr("no live collection"));
}

TEST_F(MysqlMetaReaderTest, TlsRequiredAgainstAPlainServerIsUnavailable) {
  Run(kMysqlDdl);
  MysqlDsn dsn = dsn_;
  dsn.params["tls"] = "true";
  auto meta = ReadMysqlMeta(dsn);
  ASSERT_FALSE(meta.ok());
  EXPECT_TRUE(absl::IsUnavailable(meta.status())) << meta.status();
  dsn.params["tls"] = "custom-config";
  EXPECT_TRUE(absl::IsInvalidArgument(ReadMysqlMeta(dsn).status()));
}

}  // namespace
}  // namespace mm
