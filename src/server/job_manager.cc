#include "server/job_manager.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "app/migration.h"
#include "config/migration_config.h"
#include "core/cancellation.h"
#include "core/redact.h"
#include "pipeline/run_observer.h"
#include "server/redacted_config.h"
#include "storage/storage_from_config.h"

namespace mm {

using nlohmann::json;

struct JobManager::Job {
  std::mutex mu;              // guards record and ended
  JobRecord record;
  MigrationConfig config;     // the parsed config, secrets and all; never stored or shown
  RunObserver observer;
  CancellationFlag cancel;
  bool ended = false;
  Status result;
  // {"enabled", "sample", "report"} of the job's verify; kept in its progress JSON, so the
  // stored row has it too (and a resumed job verifies as asked). Guarded by mu.
  json verify = json::object();
  std::condition_variable ended_cv;
  std::thread thread;
};

namespace {

constexpr const char* kRequestOrigin = "request";
constexpr const char* kInterruptedMsg =
    "the server stopped while this job ran; POST /api/v1/resume_job continues it from its "
    "checkpoint";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewJobId(const std::string& kind) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return StrCat(kind, "_", buf);
}

// 0..100 from the rows of the phases the kind runs; 100 only once the job succeeded.
int JobProcess(const std::string& kind, const std::string& status, const RunSnapshot& s) {
  if (status == "success") return 100;
  double f = s.rows_total > 0 ? static_cast<double>(s.rows_done) / s.rows_total : 0;
  f = std::clamp(f, 0.0, 1.0);
  double p = 0;
  if (s.phase == RunPhase::kVerify) {
    // A verify job's own work; after a start or load, the last few percent.
    p = kind == "verify" ? 100 * f : 95 + 4 * f;
  } else if (kind == "start") {
    if (s.phase == RunPhase::kDump) p = 50 * f;
    if (s.phase == RunPhase::kImport) p = 50 + 50 * f;
    if (s.phase == RunPhase::kDone) p = 100;
  } else if (s.phase == RunPhase::kDump || s.phase == RunPhase::kImport) {
    p = 100 * f;
  } else if (s.phase == RunPhase::kDone) {
    p = 100;
  }
  return std::min(99, static_cast<int>(p));
}

json ProgressJson(const std::string& kind, const std::string& status, const RunSnapshot& s) {
  json collections = json::array();
  for (const auto& c : s.collections) {
    collections.push_back({{"collection", c.collection},
                           {"rowsDone", c.rows_done},
                           {"rowsTotal", c.rows_total},
                           {"bytesDone", c.bytes_done},
                           {"bytesTotal", c.bytes_total},
                           {"importTaskIds", c.import_task_ids}});
  }
  auto round1 = [](double v) { return std::round(v * 10) / 10; };
  return {{"jobProcess", JobProcess(kind, status, s)},
          {"totalTasks", s.total_tasks},
          {"finishTasks", s.finish_tasks},
          {"phase", RunPhaseName(s.phase)},
          {"rowsDone", s.rows_done},
          {"rowsTotal", s.rows_total},
          {"bytesDone", s.bytes_done},
          {"rowsPerSecond", round1(s.rows_per_second)},
          {"bytesPerSecond", round1(s.bytes_per_second)},
          {"etaSeconds", s.eta_seconds < 0 ? json(nullptr) : json(round1(s.eta_seconds))},
          {"collections", collections}};
}

// ProgressJson with the job's verify (options and, once it ran, its report).
json JobProgressJson(const std::string& kind, const std::string& status, const RunSnapshot& s,
                     const json& verify) {
  json progress = ProgressJson(kind, status, s);
  if (verify.value("enabled", false)) progress["verify"] = verify;
  return progress;
}

// The view of a stored row: its last progress, with the row's own status and message.
json RecordView(const JobRecord& r) {
  json view = json::parse(r.progress_json, nullptr, /*allow_exceptions=*/false);
  if (!view.is_object()) view = json::object();
  view["jobId"] = r.id;
  view["jobStatus"] = r.status;
  view["msg"] = r.msg;
  view["kind"] = r.kind;
  view["requestId"] = r.request_id;
  view["createdAt"] = r.created_ms;
  view["updatedAt"] = r.updated_ms;
  view["output"] = r.output;
  view["config"] = r.config_redacted;  // secrets masked
  view["collectionNames"] = json::parse(r.collections_json, nullptr, false);
  if (!view.contains("jobProcess")) view["jobProcess"] = r.status == "success" ? 100 : 0;
  if (!view.contains("totalTasks")) view["totalTasks"] = 0;
  if (!view.contains("finishTasks")) view["finishTasks"] = 0;
  if (r.status == "success") view["jobProcess"] = 100;
  return view;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(StrCat(path, ": cannot read the config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Names the output a config writes, without opening it (opening may wait on the network,
// which is the job's business, not the request's): the absolute folder, or the endpoint,
// bucket and prefix. Two jobs with the same identity would share one checkpoint.
std::string OutputIdentity(const MigrationConfig& config) {
  std::string dir = config.output_dir;
  if (config.target_mode == "local") {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::absolute(dir, ec).lexically_normal();
    std::string out = p.string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
  }
  while (!dir.empty() && dir.front() == '/') dir.erase(0, 1);
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  const RemoteConfig& r = config.target_remote;
  // An Azure container is named by its account too (the endpoint may be left to the default,
  // which is derived from the account); the account name is not a secret.
  const std::string account = IsAzureCloud(r.cloud) ? StrCat(r.ak, "@") : "";
  return StrCat(r.cloud, ":", account, RedactUrl(r.endpoint), "/", r.bucket, "/", dir);
}

}  // namespace

bool IsValidJobId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
}

Result<std::unique_ptr<JobManager>> JobManager::Open(const JobManagerOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<JobStore> store, JobStore::Open(options.data_dir));
  // One server per data dir: the rows it marks running are its own.
  const std::string lock_path = (std::filesystem::path(options.data_dir) / "server.lock").string();
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::FailedPreconditionError(
        StrCat(lock_path, ": another server is using --data-dir ", options.data_dir));
  }
  ASSIGN_OR_RETURN(std::vector<JobRecord> running, store->WithStatus("running"));
  ASSIGN_OR_RETURN(std::vector<JobRecord> init, store->WithStatus("init"));
  running.insert(running.end(), init.begin(), init.end());
  for (const auto& r : running) {
    spdlog::warn("server: job {} was running when the server stopped: now interrupted", r.id);
    RETURN_IF_ERROR(store->UpdateState(r.id, "interrupted", kInterruptedMsg, r.progress_json,
                                       NowMs()));
  }
  return std::unique_ptr<JobManager>(new JobManager(options, std::move(store), fd));
}

JobManager::JobManager(JobManagerOptions options, std::unique_ptr<JobStore> store, int lock_fd)
    : options_(std::move(options)), store_(std::move(store)), lock_fd_(lock_fd) {
  persister_ = std::thread([this] { PersistLoop(); });
}

JobManager::~JobManager() {
  std::vector<std::shared_ptr<Job>> jobs;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) jobs.push_back(job);
  }
  cv_.notify_all();
  for (auto& job : jobs) {
    job->cancel.Request();
    if (job->thread.joinable()) job->thread.join();
  }
  persister_.join();
  ::close(lock_fd_);
}

Status JobManager::Prepare(Job& job, const std::optional<std::string>& config_text) {
  std::string text;
  std::string origin;
  if (config_text) {
    text = *config_text;
    origin = kRequestOrigin;
  } else {
    origin = job.record.config_origin.empty() || job.record.config_origin == kRequestOrigin
                 ? options_.default_config
                 : job.record.config_origin;
    ASSIGN_OR_RETURN(text, ReadFile(origin));
  }
  const std::string name = origin == kRequestOrigin ? "config (in the request)" : origin;
  ASSIGN_OR_RETURN(RedactedConfig redacted, RedactConfigText(text, name));
  ASSIGN_OR_RETURN(MigrationConfig config, ParseMigrationConfig(text, name));
  if (!job.record.collections_json.empty()) {
    json names = json::parse(job.record.collections_json, nullptr, false);
    if (names.is_array() && !names.empty()) {
      config.collections.clear();
      for (const auto& n : names) config.collections.push_back(n.get<std::string>());
    }
  }
  job.record.output = OutputIdentity(config);
  job.record.config_origin = origin;
  job.record.config_redacted = redacted.yaml;
  job.record.config_complete = !redacted.changed;
  job.config = std::move(config);
  return absl::OkStatus();
}

Result<std::string> JobManager::Submit(const JobRequest& request) {
  auto job = std::make_shared<Job>();
  job->record.id = NewJobId(request.kind);
  job->record.kind = request.kind;
  job->record.status = "init";
  job->record.request_id = request.request_id;
  job->record.created_ms = job->record.updated_ms = NowMs();
  job->record.collections_json = json(request.collections).dump();
  if (request.verify || request.kind == "verify") {
    job->verify = {{"enabled", true}, {"sample", request.verify_sample}};
  }
  RETURN_IF_ERROR(Prepare(*job, request.config_text));
  RETURN_IF_ERROR(Launch(job, /*take_over_lock=*/false));
  return job->record.id;
}

Status JobManager::Launch(std::shared_ptr<Job> job, bool take_over_lock) {
  std::lock_guard lock(mu_);
  if (stopping_) return absl::UnavailableError("the server is stopping");
  if (auto it = outputs_.find(job->record.output); it != outputs_.end()) {
    return absl::FailedPreconditionError(StrCat("job ", it->second, " is running on the output ",
                                                job->record.output, "; wait for it or cancel it"));
  }
  job->config.force_unlock = take_over_lock;
  job->record.status = "running";
  job->record.updated_ms = NowMs();
  job->record.progress_json =
      JobProgressJson(job->record.kind, "running", RunSnapshot{}, job->verify).dump();
  RETURN_IF_ERROR(store_->Put(job->record));
  outputs_[job->record.output] = job->record.id;
  if (auto old = jobs_.find(job->record.id); old != jobs_.end() && old->second->thread.joinable()) {
    old->second->thread.join();  // the ended run of a resumed job
  }
  jobs_[job->record.id] = job;
  spdlog::info("server: job {} ({}) started on {}", job->record.id, job->record.kind,
               job->record.output);
  job->thread = std::thread([this, job] { Run(job); });
  return absl::OkStatus();
}

void JobManager::Run(std::shared_ptr<Job> job) {
  const RunHooks hooks{.observer = &job->observer, .cancel = &job->cancel};
  // The verify phase: its report goes with the job (get_job, verify_report), also when the
  // two sides differ (the job then fails).
  auto verify = [&]() -> Status {
    VerifyRequest request;
    {
      std::lock_guard lock(job->mu);
      request.sample_percent = job->verify.value("sample", 100.0);
    }
    std::string report;
    request.report_json = &report;
    Status st = Verify(job->config, request, hooks);
    if (!report.empty()) {
      std::lock_guard lock(job->mu);
      job->verify["report"] = json::parse(report, nullptr, false);
    }
    return st;
  };
  Status st;
  if (job->record.kind == "dump") {
    st = Dump(job->config, hooks);
  } else if (job->record.kind == "load") {
    st = Load(job->config, hooks);
  } else if (job->record.kind == "verify") {
    st = verify();
  } else {
    st = Start(job->config, hooks);
  }
  bool verify_after = false;
  {
    std::lock_guard lock(job->mu);
    verify_after = job->record.kind != "verify" && job->verify.value("enabled", false);
  }
  if (st.ok() && verify_after) st = verify();
  if (st.ok()) job->observer.StartPhase(RunPhase::kDone);
  bool stopping;
  {
    std::lock_guard lock(mu_);
    outputs_.erase(job->record.output);
    stopping = stopping_;
  }
  std::string status = st.ok() ? "success" : "fail";
  // Sources redact what they quote; this catches a URL or DSN a library put in a message.
  std::string msg = st.ok() ? "" : RedactText(std::string(st.message()));
  if (!st.ok() && (stopping || CancellationRequested()) && absl::IsCancelled(st)) {
    status = "interrupted";  // stopped by the server's own shutdown, not by a user
    msg = kInterruptedMsg;
  } else if (!st.ok() && absl::IsCancelled(st)) {
    msg = StrCat("cancelled: ", msg);
  }
  {
    std::lock_guard lock(job->mu);
    const std::string progress =
        JobProgressJson(job->record.kind, status, job->observer.Snapshot(), job->verify).dump();
    job->record.status = status;
    job->record.msg = msg;
    job->record.progress_json = progress;
    job->record.updated_ms = NowMs();
    Status stored = store_->UpdateState(job->record.id, status, msg, progress,
                                        job->record.updated_ms);
    if (!stored.ok()) spdlog::error("server: {}", std::string(stored.message()));
    job->result = st.ok() ? st : Status(st.code(), msg);
    job->ended = true;
  }
  job->ended_cv.notify_all();
  if (st.ok()) {
    spdlog::info("server: job {} succeeded", job->record.id);
  } else {
    spdlog::error("server: job {} {}: {}", job->record.id, status, msg);
  }
}

Status JobManager::Wait(const std::string& id) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return absl::NotFoundError(StrCat("job ", id, " is not running here"));
    job = it->second;
  }
  std::unique_lock lock(job->mu);
  job->ended_cv.wait(lock, [&] { return job->ended; });
  return job->result;
}

json JobManager::LiveView(Job& job) {
  JobRecord record;
  bool ended;
  {
    std::lock_guard lock(job.mu);
    record = job.record;
    ended = job.ended;
  }
  if (!ended) {
    json verify;
    {
      std::lock_guard lock(job.mu);
      verify = job.verify;
    }
    record.progress_json =
        JobProgressJson(record.kind, record.status, job.observer.Snapshot(), verify).dump();
  }
  return RecordView(record);
}

Result<json> JobManager::View(const std::string& id) {
  if (!IsValidJobId(id)) {
    return absl::InvalidArgumentError("jobId: expected 1 to 64 of the characters A-Z a-z 0-9 _ -");
  }
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) job = it->second;
  }
  if (job) return LiveView(*job);
  ASSIGN_OR_RETURN(std::optional<JobRecord> stored, store_->Get(id));
  if (!stored) return absl::NotFoundError(StrCat("job ", id, " not found"));
  return RecordView(*stored);
}

Result<json> JobManager::List(int64_t offset, int64_t limit) {
  ASSIGN_OR_RETURN(std::vector<JobRecord> rows, store_->List(offset, limit));
  ASSIGN_OR_RETURN(int64_t total, store_->Count());
  json jobs = json::array();
  for (const auto& r : rows) {
    std::shared_ptr<Job> job;
    {
      std::lock_guard lock(mu_);
      if (auto it = jobs_.find(r.id); it != jobs_.end()) job = it->second;
    }
    jobs.push_back(job ? LiveView(*job) : RecordView(r));
  }
  return json{{"total", total}, {"offset", offset}, {"limit", limit}, {"jobs", jobs}};
}

Status JobManager::Cancel(const std::string& id) {
  if (!IsValidJobId(id)) {
    return absl::InvalidArgumentError("jobId: expected 1 to 64 of the characters A-Z a-z 0-9 _ -");
  }
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) job = it->second;
  }
  if (!job) {
    ASSIGN_OR_RETURN(std::optional<JobRecord> stored, store_->Get(id));
    if (!stored) return absl::NotFoundError(StrCat("job ", id, " not found"));
    return absl::FailedPreconditionError(
        StrCat("job ", id, " is not running (", stored->status, ")"));
  }
  {
    std::lock_guard lock(job->mu);
    if (job->ended) {
      return absl::FailedPreconditionError(
          StrCat("job ", id, " is not running (", job->record.status, ")"));
    }
  }
  spdlog::info("server: job {}: cancel asked; it stops at its next safe point", id);
  job->cancel.Request();
  return absl::OkStatus();
}

Status JobManager::Resume(const std::string& id, const std::optional<std::string>& config_text) {
  if (!IsValidJobId(id)) {
    return absl::InvalidArgumentError("jobId: expected 1 to 64 of the characters A-Z a-z 0-9 _ -");
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
      std::lock_guard job_lock(it->second->mu);
      if (!it->second->ended) {
        return absl::FailedPreconditionError(StrCat("job ", id, " is running"));
      }
    }
  }
  ASSIGN_OR_RETURN(std::optional<JobRecord> stored, store_->Get(id));
  if (!stored) return absl::NotFoundError(StrCat("job ", id, " not found"));
  if (stored->status != "interrupted" && stored->status != "fail") {
    return absl::FailedPreconditionError(StrCat("job ", id, " is ", stored->status,
                                                "; only an interrupted or failed job resumes"));
  }
  auto job = std::make_shared<Job>();
  job->record = *stored;
  job->record.msg.clear();
  // Verify as the job first asked (its options live in its progress JSON); a report of an
  // earlier attempt goes, the resumed run verifies again.
  if (json progress = json::parse(stored->progress_json, nullptr, false);
      progress.is_object() && progress.contains("verify") && progress["verify"].is_object()) {
    job->verify = progress["verify"];
    job->verify.erase("report");
  }
  std::optional<std::string> text = config_text;
  if (!text && stored->config_origin == kRequestOrigin) {
    if (!stored->config_complete) {
      return absl::InvalidArgumentError(StrCat(
          "config: job ", id, "'s config held secrets, which the server does not store; send "
          "the config again in the request's `config`"));
    }
    text = stored->config_redacted;
  }
  RETURN_IF_ERROR(Prepare(*job, text));
  // An interrupted job's lock belongs to a server that is gone (the data dir lock says so).
  return Launch(job, /*take_over_lock=*/stored->status == "interrupted");
}

Result<json> JobManager::VerifyReport(const std::string& id) {
  ASSIGN_OR_RETURN(json view, View(id));
  if (!view.contains("verify") || !view["verify"].contains("report")) {
    return absl::NotFoundError(StrCat(
        "job ", id, " has no verify report",
        view.contains("verify") ? " yet" : " (it does not verify: ask start or load with "
                                           "\"verify\": true, or POST /api/v1/verify)"));
  }
  return view["verify"]["report"];
}

void JobManager::PersistLoop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    std::vector<std::shared_ptr<Job>> running;
    for (auto& [id, job] : jobs_) running.push_back(job);
    lock.unlock();
    for (auto& job : running) {
      std::lock_guard job_lock(job->mu);
      if (job->ended) continue;
      const std::string progress = JobProgressJson(job->record.kind, job->record.status,
                                                   job->observer.Snapshot(), job->verify)
                                       .dump();
      if (progress == job->record.progress_json) continue;
      job->record.progress_json = progress;
      job->record.updated_ms = NowMs();
      Status st = store_->UpdateState(job->record.id, job->record.status, job->record.msg,
                                      progress, job->record.updated_ms);
      if (!st.ok()) spdlog::warn("server: {}", std::string(st.message()));
    }
    lock.lock();
  }
}

}  // namespace mm
