// The REST server's jobs on disk: one SQLite database (jobs.sqlite3 under --data-dir) with a
// row per job, so a server started again lists every job it ever ran. A row holds what the
// job view shows (status, message, progress as JSON) and the job's config with its secrets
// masked (server/redacted_config.h): nothing a password, key or token could be read from.
//
// Thread-safe: one connection, serialised by a mutex (the server writes a few rows a second).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

struct sqlite3;

namespace mm {

struct JobRecord {
  std::string id;            // "start_3f2a...", the jobId
  std::string kind;          // start | dump | load
  std::string status;        // init | running | success | fail | interrupted
  std::string msg;           // the error of a failed job, "" otherwise
  std::string request_id;    // the RequestId the job was started with
  int64_t created_ms = 0;    // Unix time, milliseconds
  int64_t updated_ms = 0;
  // Where the config came from: "request", or the path of the server's --config file.
  std::string config_origin;
  std::string config_redacted;  // YAML, secrets masked
  // True when masking changed nothing: the stored config alone can run the job again.
  bool config_complete = false;
  std::string collections_json = "[]";  // the request's collectionNames
  std::string output;        // the output the job writes (storage Describe())
  std::string progress_json = "{}";  // the last progress view (see job_view.h)
};

class JobStore {
 public:
  // Opens (creating when absent) `dir`/jobs.sqlite3. `dir` is created if missing.
  // Unavailable naming the file when SQLite cannot open it.
  static Result<std::unique_ptr<JobStore>> Open(const std::string& dir);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  // Inserts or replaces the whole row.
  Status Put(const JobRecord& job);
  // Status, message and progress of an existing row.
  Status UpdateState(const std::string& id, const std::string& status, const std::string& msg,
                     const std::string& progress_json, int64_t updated_ms);
  Result<std::optional<JobRecord>> Get(const std::string& id);
  // Newest first (by creation, then id); `offset` rows skipped, at most `limit` returned.
  Result<std::vector<JobRecord>> List(int64_t offset, int64_t limit);
  Result<int64_t> Count();
  // Every job whose status is `status`.
  Result<std::vector<JobRecord>> WithStatus(const std::string& status);

 private:
  JobStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const std::string& sql);

  std::mutex mu_;
  sqlite3* db_;
  std::string path_;
};

}  // namespace mm
