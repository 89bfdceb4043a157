#include "server/job_store.h"

#include <sqlite3.h>

#include <filesystem>

namespace mm {
namespace {

constexpr const char* kColumns =
    "id, kind, status, msg, request_id, created_ms, updated_ms, config_origin, "
    "config_redacted, config_complete, collections_json, output, progress_json";

// A prepared statement, finalised however the caller returns.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* p = sqlite3_column_text(s, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

JobRecord ReadRow(sqlite3_stmt* s) {
  JobRecord r;
  r.id = Text(s, 0);
  r.kind = Text(s, 1);
  r.status = Text(s, 2);
  r.msg = Text(s, 3);
  r.request_id = Text(s, 4);
  r.created_ms = sqlite3_column_int64(s, 5);
  r.updated_ms = sqlite3_column_int64(s, 6);
  r.config_origin = Text(s, 7);
  r.config_redacted = Text(s, 8);
  r.config_complete = sqlite3_column_int64(s, 9) != 0;
  r.collections_json = Text(s, 10);
  r.output = Text(s, 11);
  r.progress_json = Text(s, 12);
  return r;
}

}  // namespace

Result<std::unique_ptr<JobStore>> JobStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("--data-dir ", dir, ": cannot create the folder: ", ec.message()));
  }
  const std::string path = (std::filesystem::path(dir) / "jobs.sqlite3").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(StrCat(path, ": cannot open the job database: ", why));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<JobStore> store(new JobStore(db, path));
  // WAL: a reader (get_job) never waits for the progress writer.
  RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
      "status TEXT NOT NULL, msg TEXT NOT NULL, request_id TEXT NOT NULL, "
      "created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, config_origin TEXT NOT NULL, "
      "config_redacted TEXT NOT NULL, config_complete INTEGER NOT NULL, "
      "collections_json TEXT NOT NULL, output TEXT NOT NULL, progress_json TEXT NOT NULL)"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (created_ms DESC, id DESC)"));
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

Status JobStore::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(StrCat(path_, ": ", why));
  }
  return absl::OkStatus();
}

Status JobStore::Put(const JobRecord& job) {
  std::lock_guard lock(mu_);
  Statement s(db_, StrCat("INSERT OR REPLACE INTO jobs (", kColumns,
                          ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  if (s.get() == nullptr) return absl::InternalError(StrCat(path_, ": ", sqlite3_errmsg(db_)));
  s.Bind(1, job.id);
  s.Bind(2, job.kind);
  s.Bind(3, job.status);
  s.Bind(4, job.msg);
  s.Bind(5, job.request_id);
  s.Bind(6, job.created_ms);
  s.Bind(7, job.updated_ms);
  s.Bind(8, job.config_origin);
  s.Bind(9, job.config_redacted);
  s.Bind(10, static_cast<int64_t>(job.config_complete ? 1 : 0));
  s.Bind(11, job.collections_json);
  s.Bind(12, job.output);
  s.Bind(13, job.progress_json);
  if (sqlite3_step(s.get()) != SQLITE_DONE) {
    return absl::InternalError(StrCat(path_, ": storing job ", job.id, ": ", sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

Status JobStore::UpdateState(const std::string& id, const std::string& status,
                             const std::string& msg, const std::string& progress_json,
                             int64_t updated_ms) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "UPDATE jobs SET status = ?, msg = ?, progress_json = ?, updated_ms = ? "
              "WHERE id = ?");
  if (s.get() == nullptr) return absl::InternalError(StrCat(path_, ": ", sqlite3_errmsg(db_)));
  s.Bind(1, status);
  s.Bind(2, msg);
  s.Bind(3, progress_json);
  s.Bind(4, updated_ms);
  s.Bind(5, id);
  if (sqlite3_step(s.get()) != SQLITE_DONE) {
    return absl::InternalError(StrCat(path_, ": updating job ", id, ": ", sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

Result<std::optional<JobRecord>> JobStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  Statement s(db_, StrCat("SELECT ", kColumns, " FROM jobs WHERE id = ?"));
  if (s.get() == nullptr) return absl::InternalError(StrCat(path_, ": ", sqlite3_errmsg(db_)));
  s.Bind(1, id);
  const int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return std::optional<JobRecord>();
  if (rc != SQLITE_ROW) {
    return absl::InternalError(StrCat(path_, ": reading job ", id, ": ", sqlite3_errmsg(db_)));
  }
  return std::optional<JobRecord>(ReadRow(s.get()));
}

Result<std::vector<JobRecord>> JobStore::List(int64_t offset, int64_t limit) {
  std::lock_guard lock(mu_);
  Statement s(db_, StrCat("SELECT ", kColumns,
                          " FROM jobs ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?"));
  if (s.get() == nullptr) return absl::InternalError(StrCat(path_, ": ", sqlite3_errmsg(db_)));
  s.Bind(1, limit);
  s.Bind(2, offset);
  std::vector<JobRecord> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ReadRow(s.get()));
  if (rc != SQLITE_DONE) {
    return absl::InternalError(StrCat(path_, ": listing jobs: ", sqlite3_errmsg(db_)));
  }
  return out;
}

Result<int64_t> JobStore::Count() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT COUNT(*) FROM jobs");
  if (s.get() == nullptr || sqlite3_step(s.get()) != SQLITE_ROW) {
    return absl::InternalError(StrCat(path_, ": counting jobs: ", sqlite3_errmsg(db_)));
  }
  return sqlite3_column_int64(s.get(), 0);
}

Result<std::vector<JobRecord>> JobStore::WithStatus(const std::string& status) {
  std::lock_guard lock(mu_);
  Statement s(db_, StrCat("SELECT ", kColumns, " FROM jobs WHERE status = ?"));
  if (s.get() == nullptr) return absl::InternalError(StrCat(path_, ": ", sqlite3_errmsg(db_)));
  s.Bind(1, status);
  std::vector<JobRecord> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ReadRow(s.get()));
  if (rc != SQLITE_DONE) {
    return absl::InternalError(StrCat(path_, ": listing jobs: ", sqlite3_errmsg(db_)));
  }
  return out;
}

}  // namespace mm
