// The REST server's jobs: each start/dump/load request becomes a job that runs on its own
// thread through the same library call the CLI makes (app/migration.h), watched through a
// RunObserver and stoppable through its own CancellationFlag. Jobs are kept in a JobStore
// (SQLite under --data-dir): a server started again lists every job, and marks those that
// were running `interrupted`; resume_job continues one from its checkpoint (manifest.json).
//
// Errors carry the codes the HTTP layer maps: InvalidArgument (400: a bad request or config,
// naming the key), NotFound (404: no such job), FailedPrecondition (409: the job's output is
// in use by another running job, or the job is not in a state the call allows).
//
// Thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "server/job_store.h"

namespace mm {

struct JobManagerOptions {
  std::string data_dir;        // where jobs.sqlite3 lives
  std::string default_config;  // the config of a request without one (--config)
};

// One start/dump/load request, as the HTTP layer parsed it.
struct JobRequest {
  std::string kind;  // start | dump | load | verify
  // start and load: verify once the load succeeded (as `--verify`); the job fails when the
  // two sides differ. A verify job always verifies.
  bool verify = false;
  double verify_sample = 100;  // verifySample: --sample P, in (0, 100]
  std::vector<std::string> collections;  // collectionNames: --col of dump and start
  std::string request_id;
  // The request's config as YAML (a JSON object arrives as its JSON text, which is YAML);
  // nullopt: the server's --config file.
  std::optional<std::string> config_text;
};

class JobManager {
 public:
  // Opens the job database; jobs it lists as running (their server died) become
  // `interrupted`. The data dir is locked: a second server on it is FailedPrecondition.
  static Result<std::unique_ptr<JobManager>> Open(const JobManagerOptions& options);
  ~JobManager();  // stops every running job at its next safe point and waits for it
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Checks the config, refuses a second job on an output a running job writes, stores the
  // job and starts it. Returns the jobId.
  Result<std::string> Submit(const JobRequest& request);
  // The JSON report of the job's verify (start/load with `verify`, or a verify job), once
  // it has run: NotFound for an unknown job or one with no report (yet).
  Result<nlohmann::json> VerifyReport(const std::string& id);
  // Blocks until the job has ended (success, fail, interrupted); returns its error.
  Status Wait(const std::string& id);
  // The job view: {jobId, jobStatus, jobProcess, msg, totalTasks, finishTasks} as the Go
  // tool has it, plus kind, phase, rows/bytes done and total per collection, rate, ETA and
  // import task ids. NotFound for an unknown id.
  Result<nlohmann::json> View(const std::string& id);
  // {"total": n, "offset": o, "limit": l, "jobs": [view...]}, newest first.
  Result<nlohmann::json> List(int64_t offset, int64_t limit);
  // Asks a running job to stop at its next safe point (it ends `fail`, "cancelled ...").
  Status Cancel(const std::string& id);
  // Runs an interrupted or failed job again under the same id, from its checkpoint.
  // `config_text` as in JobRequest; without it, the job's --config file, or its stored
  // config when that held no secret.
  Status Resume(const std::string& id, const std::optional<std::string>& config_text);

 private:
  struct Job;
  explicit JobManager(JobManagerOptions options, std::unique_ptr<JobStore> store, int lock_fd);
  // Parses and checks a config; fills the job's config, its redacted copy and output.
  Status Prepare(Job& job, const std::optional<std::string>& config_text);
  Status Launch(std::shared_ptr<Job> job, bool take_over_lock);
  void Run(std::shared_ptr<Job> job);
  nlohmann::json LiveView(Job& job);
  void PersistLoop();

  JobManagerOptions options_;
  std::unique_ptr<JobStore> store_;
  int lock_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // started by this process
  std::map<std::string, std::string> outputs_;        // output -> running job id
  std::thread persister_;
};

// True when `id` may name a job: 1..64 of [A-Za-z0-9_-].
bool IsValidJobId(const std::string& id);

}  // namespace mm
