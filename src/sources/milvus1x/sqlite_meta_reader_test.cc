#include "sources/milvus1x/sqlite_meta_reader.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sources/milvus1x/milvus1x_meta_test_data.h"

namespace mm {
namespace {

namespace fs = std::filesystem;
using testdata::kExpected;
using testdata::kRows;
using testdata::Summary;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The schema Milvus 0.10-1.1 creates in db/meta.sqlite (SqliteMetaImpl; docs/milvus1x-meta.md).
constexpr char kDdl[] = R"sql(
CREATE TABLE IF NOT EXISTS Environment(global_lsn INTEGER DEFAULT (0) NOT NULL);
CREATE TABLE IF NOT EXISTS Tables(id INTEGER PRIMARY KEY NOT NULL, table_id TEXT UNIQUE NOT NULL,
  state INTEGER NOT NULL, dimension INTEGER NOT NULL, created_on INTEGER NOT NULL,
  flag INTEGER DEFAULT (0) NOT NULL, index_file_size INTEGER NOT NULL,
  engine_type INTEGER NOT NULL, index_params TEXT NOT NULL, metric_type INTEGER NOT NULL,
  owner_table TEXT DEFAULT ('') NOT NULL, partition_tag TEXT DEFAULT ('') NOT NULL,
  version TEXT DEFAULT ('1.1.0') NOT NULL, flush_lsn INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS TableFiles(id INTEGER PRIMARY KEY NOT NULL, table_id TEXT NOT NULL,
  segment_id TEXT DEFAULT ('') NOT NULL, engine_type INTEGER NOT NULL, file_id TEXT NOT NULL,
  file_type INTEGER NOT NULL, file_size INTEGER DEFAULT (0) NOT NULL,
  row_count INTEGER DEFAULT (0) NOT NULL, updated_time INTEGER NOT NULL,
  created_on INTEGER NOT NULL, date INTEGER NOT NULL, flush_lsn INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS Fields(collection_id TEXT NOT NULL, field_name TEXT NOT NULL,
  field_type INTEGER NOT NULL, field_params TEXT NOT NULL);
)sql";

std::string SummaryOrError(const std::string& path) {
  auto meta = ReadSqliteMeta(path);
  return meta.ok() ? Summary(*meta) : meta.status().ToString();
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  ASSERT_EQ(rc, SQLITE_OK) << (err ? err : "") << " in: " << sql;
}

sqlite3* OpenRw(const fs::path& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  return db;
}

// Writes a 1.x meta.sqlite: the real DDL, then `rows`.
void MakeMeta(const fs::path& path, bool wal, const std::string& rows = kRows,
              const std::string& ddl = kDdl) {
  sqlite3* db = OpenRw(path);
  if (wal) Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, ddl);
  Exec(db, rows);
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Runs `fn` in a child process that cannot write `dir`: as root (which ignores permission
// bits) the child first becomes `nobody`. Returns what fn returned, or why the child failed.
std::string RunWithoutWriteAccess(const fs::path& dir, const std::function<std::string()>& fn) {
  chmod(dir.c_str(), 0555);
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
      out = "cannot become nobody";
    } else if (access(dir.c_str(), W_OK) == 0) {
      out = "the directory is still writable";
    } else {
      out = fn();
    }
    (void)!write(fds[1], out.data(), out.size());
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  chmod(dir.c_str(), 0755);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child crashed: " + out;
  return out;
}

class SqliteMetaReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "mm-sqlite-meta-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
    // `nobody` must reach the files when the tests run as root.
    chmod(root_.c_str(), 0755);
    dir_ = root_ / "db";
    fs::create_directory(dir_);
    chmod(dir_.c_str(), 0755);
    path_ = dir_ / "meta.sqlite";
  }
  void TearDown() override {
    chmod(dir_.c_str(), 0755);
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path root_, dir_, path_;
};

TEST_F(SqliteMetaReaderTest, ReadsTheRealSchemaAndCreatesNothing) {
  MakeMeta(path_, /*wal=*/false);
  EXPECT_EQ(SummaryOrError(path_), kExpected);
  EXPECT_THAT(Listing(dir_), ElementsAre("meta.sqlite"));
}

TEST_F(SqliteMetaReaderTest, WalDatabaseReadsWithoutLeavingWalOrShmFiles) {
  MakeMeta(path_, /*wal=*/true);
  ASSERT_THAT(Listing(dir_), ElementsAre("meta.sqlite"));  // the last close checkpoints
  EXPECT_EQ(SummaryOrError(path_), kExpected);
  EXPECT_THAT(Listing(dir_), ElementsAre("meta.sqlite"));
}

TEST_F(SqliteMetaReaderTest, WalDatabaseInReadOnlyDirectory) {
  MakeMeta(path_, /*wal=*/true);
  EXPECT_EQ(RunWithoutWriteAccess(dir_, [&] { return SummaryOrError(path_); }), kExpected);
  EXPECT_THAT(Listing(dir_), ElementsAre("meta.sqlite"));
}

// What a crashed (or still running) 1.x server leaves: committed rows that are only in the
// -wal file. Copied while the writer is open, so the log is not checkpointed away.
void MakeMetaWithLiveLog(const fs::path& scratch, const fs::path& dest_dir) {
  const fs::path src = scratch / "meta.sqlite";
  sqlite3* db = OpenRw(src);
  Exec(db, "PRAGMA journal_mode=WAL");
  sqlite3_wal_autocheckpoint(db, 0);
  Exec(db, kDdl);
  Exec(db, kRows);
  ASSERT_GT(fs::file_size(scratch / "meta.sqlite-wal"), 0u);
  fs::copy_file(src, dest_dir / "meta.sqlite");
  fs::copy_file(scratch / "meta.sqlite-wal", dest_dir / "meta.sqlite-wal");
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
}

TEST_F(SqliteMetaReaderTest, WalLogWithRowsInReadOnlyDirectoryIsRead) {
  const fs::path scratch = root_ / "scratch";
  fs::create_directory(scratch);
  MakeMetaWithLiveLog(scratch, dir_);
  EXPECT_EQ(RunWithoutWriteAccess(dir_, [&] { return SummaryOrError(path_); }), kExpected);
  EXPECT_THAT(Listing(dir_), ElementsAre("meta.sqlite", "meta.sqlite-wal"));
}

TEST_F(SqliteMetaReaderTest, WalLogWithRowsInWritableDirectoryIsRead) {
  const fs::path scratch = root_ / "scratch";
  fs::create_directory(scratch);
  MakeMetaWithLiveLog(scratch, dir_);
  EXPECT_EQ(SummaryOrError(path_), kExpected);
}

TEST_F(SqliteMetaReaderTest, ReadsWhileAWriterHasTheDatabaseOpen) {
  sqlite3* writer = OpenRw(path_);
  Exec(writer, "PRAGMA journal_mode=WAL");
  Exec(writer, kDdl);
  Exec(writer, kRows);
  EXPECT_EQ(SummaryOrError(path_), kExpected);
  // The reader holds nothing afterwards: the writer goes on.
  Exec(writer, "UPDATE Tables SET state = 1 WHERE table_id = 'bin'");
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->tables.size(), 2u);
  EXPECT_EQ(meta->rows, 150);
  sqlite3_close(writer);
}

TEST_F(SqliteMetaReaderTest, PathWithUriSpecialCharacters) {
  const fs::path odd = root_ / "a dir?x=1#frag%20";
  fs::create_directory(odd);
  MakeMeta(odd / "meta.sqlite", /*wal=*/true);
  EXPECT_EQ(SummaryOrError(odd / "meta.sqlite"), kExpected);
}

TEST_F(SqliteMetaReaderTest, MissingFileIsNotFoundAndNotCreated) {
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsNotFound(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr(path_.string()));
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SqliteMetaReaderTest, DirectoryIsInvalidArgument) {
  auto meta = ReadSqliteMeta(dir_);
  ASSERT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
}

TEST_F(SqliteMetaReaderTest, NotADatabaseIsDataLoss) {
  for (const std::string& bytes : {std::string(300, 'x'), std::string("short"),
                                    std::string("SQLite format 3") + std::string(1, '\0') +
                                        std::string(4000, '\x7f')}) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    auto meta = ReadSqliteMeta(path_);
    ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
    EXPECT_THAT(std::string(meta.status().message()), HasSubstr(path_.string()));
  }
}

TEST_F(SqliteMetaReaderTest, EmptyFileLacksTheTables) {
  std::ofstream(path_, std::ios::binary | std::ios::trunc).flush();
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr(path_.string()), HasSubstr("table Tables is missing")));
  EXPECT_EQ(fs::file_size(path_), 0u);
}

TEST_F(SqliteMetaReaderTest, MissingTableIsDataLoss) {
  MakeMeta(path_, false, "INSERT INTO Tables VALUES (1,'c',0,8,0,0,0,1,'{}',1,'','','',0);",
           std::string(kDdl) + "DROP TABLE TableFiles;");
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()), HasSubstr("table TableFiles is missing"));
}

TEST_F(SqliteMetaReaderTest, OldSchemaWithoutIndexParamsIsDataLoss) {
  // Milvus 0.6-0.8 kept `nlist` where 0.9+ has index_params.
  MakeMeta(path_, false, "",
           "CREATE TABLE Tables(id INTEGER PRIMARY KEY, table_id TEXT, state INTEGER,"
           " dimension INTEGER, engine_type INTEGER, nlist INTEGER, metric_type INTEGER,"
           " owner_table TEXT, partition_tag TEXT);"
           "CREATE TABLE TableFiles(id INTEGER PRIMARY KEY, table_id TEXT, segment_id TEXT,"
           " file_id TEXT, file_type INTEGER, file_size INTEGER, row_count INTEGER);");
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr(path_.string()), HasSubstr("table Tables has no column index_params")));
}

TEST_F(SqliteMetaReaderTest, WrongValueTypeIsDataLossNamingTheColumn) {
  MakeMeta(path_, false,
           std::string(kRows) + "UPDATE TableFiles SET row_count = 'many' WHERE id = 6;");
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr("TableFiles row id=6"), HasSubstr("row_count")));
}

TEST_F(SqliteMetaReaderTest, EveryStateButToDeleteIsLive) {
  MakeMeta(path_, false, std::string(kRows) + testdata::kOtherLiveStates);
  EXPECT_EQ(SummaryOrError(path_), kExpected);
}

TEST_F(SqliteMetaReaderTest, PartitionWithoutItsOwnerIsDataLossNamingIt) {
  MakeMeta(path_, false, std::string(kRows) + testdata::kOrphanPartition);
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsDataLoss(meta.status())) << meta.status();
  EXPECT_THAT(std::string(meta.status().message()),
              AllOf(HasSubstr(path_.string()), HasSubstr("partition 'p1'"),
                    HasSubstr("'1690000000000000001'"), HasSubstr("'no_such_collection'")));
}

TEST_F(SqliteMetaReaderTest, NoLiveCollectionIsInvalidArgument) {
  MakeMeta(path_, false, "INSERT INTO Tables VALUES (1,'c',1,8,0,0,0,1,'{}',1,'','','',0);");
  auto meta = ReadSqliteMeta(path_);
  ASSERT_TRUE(absl::IsInvalidArgument(meta.status())) << meta.status();
  EXPECT_EQ(meta.status().message(), path_.string() + ": no live collection");
}

}  // namespace
}  // namespace mm
