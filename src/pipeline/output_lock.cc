#include "pipeline/output_lock.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "core/cancellation.h"

namespace mm {
namespace {

using nlohmann::json;
using SystemClock = std::chrono::system_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SystemClock::now().time_since_epoch())
      .count();
}

std::string FormatUtc(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::string RandomToken() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof(word), "%08x", static_cast<unsigned>(rd()));
    out += word;
  }
  return out;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

// The refusal, naming the holder and the two ways out.
Status HeldBy(const Storage& storage, const LockRecord& holder) {
  return absl::FailedPreconditionError(StrCat(
      storage.Describe(), " is in use by another run (", OutputLock::kFileName, "): ",
      holder.Describe(), ". One run per output: wait for it to finish; if it was killed, "
      "rerun after its lease expires, or at once with --force-unlock"));
}

}  // namespace

std::string LockRecord::ToJson() const {
  json doc{{"format", "milvus-migration-lock"},
           {"owner", owner},
           {"host", host},
           {"pid", pid},
           {"command", command},
           {"started", FormatUtc(started_ms)},
           {"started_ms", started_ms},
           {"expires", FormatUtc(expires_ms)},
           {"expires_ms", expires_ms}};
  return doc.dump(1);
}

Result<LockRecord> LockRecord::FromJson(const std::string& text, const std::string& name) {
  try {
    json doc = json::parse(text);
    if (doc.value("format", "") != "milvus-migration-lock") {
      return absl::DataLossError(StrCat(name, ": not a milvus-migration lock"));
    }
    LockRecord r;
    r.owner = doc.at("owner").get<std::string>();
    r.host = doc.value("host", "");
    r.pid = doc.value("pid", int64_t{0});
    r.command = doc.value("command", "");
    r.started_ms = doc.at("started_ms").get<int64_t>();
    r.expires_ms = doc.at("expires_ms").get<int64_t>();
    return r;
  } catch (const json::exception& e) {
    return absl::DataLossError(StrCat(name, ": malformed lock: ", e.what()));
  }
}

std::string LockRecord::Describe() const {
  return StrCat(command.empty() ? "a run" : command, " on host ", host, ", pid ", pid,
                ", started ", FormatUtc(started_ms), ", lease expires ", FormatUtc(expires_ms));
}

Result<std::chrono::seconds> LockLeaseFromEnvironment() {
  const char* text = std::getenv("MM_LOCK_LEASE_SECONDS");
  if (text == nullptr || *text == '\0') return std::chrono::seconds(60);
  int64_t value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end || value < 2 || value > 86400) {
    return absl::InvalidArgumentError(StrCat("MM_LOCK_LEASE_SECONDS is '", text,
                                             "'; expected whole seconds in 2..86400"));
  }
  return std::chrono::seconds(value);
}

Result<std::unique_ptr<OutputLock>> OutputLock::Acquire(Storage* storage,
                                                        OutputLockOptions options) {
  const int64_t lease_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               options.lease).count();
  LockRecord mine;
  mine.owner = RandomToken();
  mine.host = HostName();
  mine.pid = static_cast<int64_t>(::getpid());
  mine.command = options.command;
  const std::string name = StrCat(storage->Describe(), "/", kFileName);

  // Each failed compare-and-swap means another run changed the lock in between: look again.
  for (int attempt = 0; attempt < 10; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<VersionedFile> current, storage->ReadVersioned(kFileName));
    std::optional<std::string> expected;
    if (current) {
      Result<LockRecord> holder = LockRecord::FromJson(current->content, name);
      if (holder.ok() && holder->owner == mine.owner) {
        // Our own write, whose answer was lost and retried.
        return std::unique_ptr<OutputLock>(
            new OutputLock(storage, std::move(options), mine, current->version));
      }
      if (!holder.ok()) {
        if (!options.force) {
          return absl::FailedPreconditionError(StrCat(
              holder.status().message(), ". If no other run uses ", storage->Describe(),
              ", rerun with --force-unlock"));
        }
        spdlog::warn("--force-unlock: replacing the unreadable lock {}", name);
      } else if (NowMs() >= holder->expires_ms) {
        spdlog::warn("taking over the lock {} of a run that stopped renewing it: {}", name,
                     holder->Describe());
      } else if (options.force) {
        spdlog::warn("--force-unlock: taking over the lock {} of {}", name, holder->Describe());
      } else {
        return HeldBy(*storage, *holder);
      }
      expected = current->version;
    }
    mine.started_ms = NowMs();
    mine.expires_ms = mine.started_ms + lease_ms;
    ASSIGN_OR_RETURN(std::optional<std::string> version,
                     storage->WriteIfVersion(kFileName, mine.ToJson(), expected));
    if (!version) continue;
    // Read back: on a store that ignored the condition, a racing run may have written after
    // us; the last writer wins and the others step back.
    ASSIGN_OR_RETURN(std::optional<VersionedFile> back, storage->ReadVersioned(kFileName));
    if (!back) continue;
    Result<LockRecord> now_there = LockRecord::FromJson(back->content, name);
    if (now_there.ok() && now_there->owner != mine.owner) return HeldBy(*storage, *now_there);
    RETURN_IF_ERROR(now_there.status());
    spdlog::info("holding the output lock {} (lease {}s, renewed while this run lives)", name,
                 options.lease.count());
    return std::unique_ptr<OutputLock>(
        new OutputLock(storage, std::move(options), mine, back->version));
  }
  return absl::AbortedError(StrCat("could not take the lock ", name,
                                   ": it kept changing under concurrent runs; retry"));
}

OutputLock::OutputLock(Storage* storage, OutputLockOptions options, LockRecord record,
                       std::string version)
    : storage_(storage),
      options_(std::move(options)),
      record_(std::move(record)),
      version_(std::move(version)) {
  if (!options_.on_lost) options_.on_lost = [](const Status&) { RequestCancellation(); };
  renewer_ = std::thread([this] { RenewLoop(); });
}

OutputLock::~OutputLock() {
  Status st = Release();
  if (!st.ok()) spdlog::warn("releasing the output lock: {}", std::string(st.message()));
}

Status OutputLock::lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

void OutputLock::RenewLoop() {
  const auto period = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(500),
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease) / 3);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (wake_.wait_for(lock, period, [this] { return stopping_; })) break;
    lock.unlock();
    Status st = RenewOnce();
    lock.lock();
    if (!st.ok() && lost_.ok()) {
      lost_ = st;
      spdlog::error("{}", std::string(st.message()));
      lock.unlock();
      options_.on_lost(st);
      lock.lock();
      break;  // a lost lock is not renewed again, nor released
    }
  }
}

Status OutputLock::RenewOnce() {
  const std::string name = StrCat(storage_->Describe(), "/", kFileName);
  auto lost = [&](std::string_view why) {
    return absl::AbortedError(StrCat("lost the output lock ", name, ": ", why,
                                     "; stopping so as not to disturb the run that holds it"));
  };
  auto current = storage_->ReadVersioned(kFileName);
  Status st = current.status();
  if (st.ok()) {
    if (!*current) return lost("it was deleted");
    Result<LockRecord> holder = LockRecord::FromJson((*current)->content, name);
    if (!holder.ok() || holder->owner != record_.owner) {
      return lost(holder.ok() ? StrCat("it was taken over by ", holder->Describe())
                              : std::string(holder.status().message()));
    }
    LockRecord next = record_;
    next.expires_ms = NowMs() + std::chrono::duration_cast<std::chrono::milliseconds>(
                                    options_.lease).count();
    auto version = storage_->WriteIfVersion(kFileName, next.ToJson(), (*current)->version);
    st = version.status();
    if (st.ok()) {
      if (!*version) return lost("it changed while being renewed");
      std::lock_guard lock(mu_);
      record_.expires_ms = next.expires_ms;  // the only field that changes
      version_ = **version;
      return absl::OkStatus();
    }
  }
  if (NowMs() >= record_.expires_ms) {
    return lost(StrCat("it could not be renewed before it expired (", st.message(), ")"));
  }
  spdlog::warn("renewing the output lock {} failed, will retry: {}", name,
               std::string(st.message()));
  return absl::OkStatus();
}

Status OutputLock::Release() {
  {
    std::lock_guard lock(mu_);
    if (released_) return absl::OkStatus();
    released_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  if (!lost().ok()) return absl::OkStatus();  // someone else's now
  // Delete only our own lock: read it, then delete that exact version.
  ASSIGN_OR_RETURN(std::optional<VersionedFile> current, storage_->ReadVersioned(kFileName));
  if (!current) return absl::OkStatus();
  Result<LockRecord> holder =
      LockRecord::FromJson(current->content, StrCat(storage_->Describe(), "/", kFileName));
  if (!holder.ok() || holder->owner != record_.owner) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool deleted, storage_->DeleteIfVersion(kFileName, current->version));
  (void)deleted;  // false: it changed meanwhile, so it is not ours to delete
  return absl::OkStatus();
}

}  // namespace mm
