#include "sources/milvus1x/sqlite_meta_reader.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace mm {
namespace {

namespace fs = std::filesystem;

// The columns read; every other column of the 1.x schema is left alone.
const std::vector<std::string> kTableColumns = {"id",          "table_id",    "state",
                                                "dimension",   "metric_type", "engine_type",
                                                "index_params", "owner_table", "partition_tag"};
const std::vector<std::string> kFileColumns = {"id",        "table_id",  "segment_id", "file_id",
                                               "file_type", "file_size", "row_count"};

std::string Join(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

// file: URIs take the path percent-encoded; everything but unreserved characters and '/'
// is escaped, so '?', '#' and '%' in a directory name cannot end the path early.
std::string FileUri(const fs::path& absolute, const std::string& query) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : absolute.string()) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '.' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri + "?" + query;
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A failed read keeps SQLite's primary result code, which decides whether a fallback helps.
struct ReadError {
  Status status;
  int sqlite_code = SQLITE_OK;
};

// `name` is the file the user named, for messages, whatever copy is actually open.
class MetaDb {
 public:
  MetaDb(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}

  ReadError Fail(int rc, const std::string& doing) const {
    const int primary = rc & 0xff;
    std::string msg = StrCat(name_, ": ", doing, ": ", sqlite3_errmsg(db_), " (SQLite code ", rc, ")");
    if (primary == SQLITE_NOTADB) {
      return {absl::DataLossError(StrCat(name_, ": not a SQLite database (", sqlite3_errmsg(db_), ")")),
              primary};
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      return {absl::UnavailableError(msg), primary};
    }
    if (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM ||
        primary == SQLITE_AUTH) {
      return {absl::PermissionDeniedError(msg), primary};
    }
    return {absl::DataLossError(msg), primary};
  }

  ReadError Exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return Fail(rc, sql);
    return {};
  }

  // DataLoss naming the table or the first missing column.
  ReadError CheckColumns(const std::string& table, const std::vector<std::string>& needed) {
    sqlite3_stmt* raw = nullptr;
    const std::string sql = StrCat("PRAGMA table_info(\"", table, "\")");
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return Fail(rc, StrCat("reading the columns of table ", table));
    std::set<std::string> have;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const unsigned char* name = sqlite3_column_text(stmt.get(), 1);
      if (name != nullptr) have.insert(reinterpret_cast<const char*>(name));
    }
    if (rc != SQLITE_DONE) return Fail(rc, StrCat("reading the columns of table ", table));
    if (have.empty()) {
      return {absl::DataLossError(StrCat(name_, ": table ", table,
                                         " is missing; not a Milvus 1.x meta.sqlite?")),
              SQLITE_OK};
    }
    for (const std::string& column : needed) {
      if (have.count(column) == 0) {
        return {absl::DataLossError(StrCat(name_, ": table ", table, " has no column ", column,
                                           "; not a Milvus 0.9-1.x meta.sqlite?")),
                SQLITE_OK};
      }
    }
    return {};
  }

  // Runs `SELECT columns FROM table ORDER BY id`, calling row(stmt) for each row.
  template <typename RowFn>
  ReadError Select(const std::string& table, const std::vector<std::string>& columns, RowFn row) {
    const std::string sql = StrCat("SELECT ", Join(columns), " FROM \"", table, "\" ORDER BY id");
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return Fail(rc, StrCat("reading table ", table));
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      Status s = row(stmt.get());
      if (!s.ok()) return {s, SQLITE_OK};
    }
    if (rc != SQLITE_DONE) return Fail(rc, StrCat("reading table ", table));
    return {};
  }

  // Column readers: a value of the wrong kind is DataLoss naming the table, row and column.
  Result<int64_t> Int(sqlite3_stmt* s, int col, const std::string& table, int64_t row_id,
                      const std::string& column, int64_t min, int64_t max) const {
    if (sqlite3_column_type(s, col) != SQLITE_INTEGER) {
      return absl::DataLossError(StrCat(name_, ": ", table, " row id=", row_id, ": ", column,
                                        " is not an integer"));
    }
    const int64_t v = sqlite3_column_int64(s, col);
    if (v < min || v > max) {
      return absl::DataLossError(StrCat(name_, ": ", table, " row id=", row_id, ": ", column,
                                        " is ", v, ", out of range"));
    }
    return v;
  }
  Result<std::string> Text(sqlite3_stmt* s, int col, const std::string& table, int64_t row_id,
                           const std::string& column) const {
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
      return absl::DataLossError(StrCat(name_, ": ", table, " row id=", row_id, ": ", column,
                                        " is NULL"));
    }
    const unsigned char* text = sqlite3_column_text(s, col);
    return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(s, col));
  }

 private:
  sqlite3* db_;
  std::string name_;
};

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

struct Rows {
  std::vector<Milvus1xTableRow> tables;
  std::vector<Milvus1xFileRow> files;
};

Status ReadTableRow(MetaDb& m, sqlite3_stmt* s, std::vector<Milvus1xTableRow>& out) {
  const std::string t = "Tables";
  ASSIGN_OR_RETURN(const int64_t id, m.Int(s, 0, t, 0, "id", kI64Min, kI64Max));
  Milvus1xTableRow r;
  ASSIGN_OR_RETURN(r.table_id, m.Text(s, 1, t, id, "table_id"));
  ASSIGN_OR_RETURN(int64_t state, m.Int(s, 2, t, id, "state", kI32Min, kI32Max));
  ASSIGN_OR_RETURN(r.dimension, m.Int(s, 3, t, id, "dimension", kI64Min, kI64Max));
  ASSIGN_OR_RETURN(int64_t metric, m.Int(s, 4, t, id, "metric_type", kI32Min, kI32Max));
  ASSIGN_OR_RETURN(int64_t engine, m.Int(s, 5, t, id, "engine_type", kI32Min, kI32Max));
  ASSIGN_OR_RETURN(r.index_params, m.Text(s, 6, t, id, "index_params"));
  ASSIGN_OR_RETURN(r.owner_table, m.Text(s, 7, t, id, "owner_table"));
  ASSIGN_OR_RETURN(r.partition_tag, m.Text(s, 8, t, id, "partition_tag"));
  r.state = static_cast<int32_t>(state);
  r.metric_type = static_cast<int32_t>(metric);
  r.engine_type = static_cast<int32_t>(engine);
  out.push_back(std::move(r));
  return Status();
}

Status ReadFileRow(MetaDb& m, sqlite3_stmt* s, std::vector<Milvus1xFileRow>& out) {
  const std::string t = "TableFiles";
  ASSIGN_OR_RETURN(const int64_t id, m.Int(s, 0, t, 0, "id", kI64Min, kI64Max));
  Milvus1xFileRow r;
  ASSIGN_OR_RETURN(r.table_id, m.Text(s, 1, t, id, "table_id"));
  ASSIGN_OR_RETURN(r.segment_id, m.Text(s, 2, t, id, "segment_id"));
  ASSIGN_OR_RETURN(r.file_id, m.Text(s, 3, t, id, "file_id"));
  ASSIGN_OR_RETURN(int64_t type, m.Int(s, 4, t, id, "file_type", kI32Min, kI32Max));
  ASSIGN_OR_RETURN(r.file_size, m.Int(s, 5, t, id, "file_size", kI64Min, kI64Max));
  ASSIGN_OR_RETURN(r.row_count, m.Int(s, 6, t, id, "row_count", kI64Min, kI64Max));
  r.file_type = static_cast<int32_t>(type);
  out.push_back(std::move(r));
  return Status();
}

// Reads both tables inside one read transaction, so a 1.x server writing meanwhile cannot
// pair one moment's Tables with another's TableFiles.
ReadError ReadRows(const std::string& uri, const std::string& name, Rows& rows) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  DbPtr db(raw);
  MetaDb m(db.get(), name);
  if (rc != SQLITE_OK) return m.Fail(rc, "opening");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), 5000);

  ReadError e = m.Exec("BEGIN");
  if (!e.status.ok()) return e;
  for (const auto& [table, columns] :
       {std::pair{"Tables", &kTableColumns}, std::pair{"TableFiles", &kFileColumns}}) {
    e = m.CheckColumns(table, *columns);
    if (!e.status.ok()) return e;
  }
  e = m.Select("Tables", kTableColumns,
               [&](sqlite3_stmt* s) { return ReadTableRow(m, s, rows.tables); });
  if (!e.status.ok()) return e;
  e = m.Select("TableFiles", kFileColumns,
               [&](sqlite3_stmt* s) { return ReadFileRow(m, s, rows.files); });
  if (!e.status.ok()) return e;
  return m.Exec("COMMIT");
}

// A private directory removed with everything in it when this goes out of scope.
class TempDir {
 public:
  static Result<TempDir> Make() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string templ = (base / "mm-meta-sqlite-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(StrCat("cannot create a temporary directory under ", base.string(),
                                        ": ", std::strerror(errno)));
    }
    return TempDir(templ);
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

// For a WAL database whose log has content but whose directory we cannot write: SQLite needs
// a writable place for the -shm index to read the log, so the database and its log are read
// from a private copy.
Result<Rows> ReadCopy(const fs::path& db_path, const fs::path& wal_path, const std::string& name) {
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Make());
  const fs::path copy = dir.path() / "meta.sqlite";
  std::error_code ec;
  fs::copy_file(db_path, copy, ec);
  if (!ec) fs::copy_file(wal_path, dir.path() / "meta.sqlite-wal", ec);
  if (ec) {
    return absl::PermissionDeniedError(
        StrCat(name, ": cannot copy it and its WAL to ", dir.path().string(), ": ", ec.message()));
  }
  Rows rows;
  ReadError e = ReadRows(FileUri(copy, "mode=ro"), name, rows);
  if (!e.status.ok()) return e.status;
  return rows;
}

}  // namespace

Result<Milvus1xMeta> ReadSqliteMeta(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) {
    return absl::NotFoundError(StrCat("Milvus 1.x meta file ", path, " does not exist"));
  }
  if (ec) return absl::PermissionDeniedError(StrCat("cannot stat ", path, ": ", ec.message()));
  if (fs::is_directory(st)) {
    return absl::InvalidArgumentError(
        StrCat(path, " is a directory; expected the meta.sqlite file inside the 1.x db directory"));
  }
  if (access(path.c_str(), R_OK) != 0) {
    return absl::PermissionDeniedError(StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }

  // The header says whether the file is SQLite at all and whether it is in WAL mode
  // (read/write format versions at offsets 18 and 19 are 2).
  std::array<char, 100> header{};
  std::ifstream in(path, std::ios::binary);
  in.read(header.data(), header.size());
  const std::streamsize got = in.gcount();
  if (got > 0 && (got < 100 || std::memcmp(header.data(), "SQLite format 3", 16) != 0)) {
    return absl::DataLossError(
        StrCat(path, ": not a SQLite database (expected the 'SQLite format 3' header)"));
  }
  const bool wal = got == 100 && (header[18] == 2 || header[19] == 2);

  const fs::path abs = fs::absolute(path, ec);
  const fs::path wal_path = abs.string() + "-wal";
  const bool wal_has_content = fs::exists(wal_path, ec) && fs::file_size(wal_path, ec) > 0 && !ec;
  // A WAL database with no log has everything in the main file. Opened plainly, even
  // read-only, SQLite would create -wal and -shm beside it (and fail where it cannot), so
  // it is opened as immutable: no locks, no side files.
  const std::string query = (wal && !wal_has_content) ? "mode=ro&immutable=1" : "mode=ro";

  Rows rows;
  ReadError e = ReadRows(FileUri(abs, query), path, rows);
  if (!e.status.ok()) {
    const bool cannot_use_log = e.sqlite_code == SQLITE_CANTOPEN ||
                                e.sqlite_code == SQLITE_READONLY || e.sqlite_code == SQLITE_PERM;
    if (!(wal && wal_has_content && cannot_use_log)) return e.status;
    spdlog::info("{}: cannot open its WAL in place ({}); reading a private copy", path,
                 std::string(e.status.message()));
    ASSIGN_OR_RETURN(rows, ReadCopy(abs, wal_path, path));
  }
  return BuildMilvus1xMeta(rows.tables, rows.files, path);
}

}  // namespace mm
