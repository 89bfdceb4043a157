// One run per output: `migration.lock` at the root of the output (beside manifest.json, on
// disk and in a bucket alike) names the run that owns the output: a random owner token, the
// host, the pid, the command, its start time and an expiry. A background thread renews the
// expiry while the run lives; the lock is deleted when the run ends (success, failure or
// Ctrl-C). A second run refuses while the lock is live, naming the first; a lock left by a
// killed run is taken over once its lease has expired, or at once when forced
// (--force-unlock).
//
// Every change to the lock file is a compare-and-swap through Storage::WriteIfVersion /
// DeleteIfVersion, so two runs starting at the same instant cannot both win: exactly one
// conditional create succeeds, and of two takeovers of one expired lock only the first
// matches its version. After winning, the lock is read back and must carry our token (this
// guards stores that ignore conditional headers, up to the window the README describes).
// Expiry compares wall clocks: hosts sharing a bucket need clocks within a few seconds.
//
// Thread-safety: Acquire and Release from one thread; lost() from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "storage/storage.h"

namespace mm {

struct OutputLockOptions {
  std::string command;  // "dump", "load", "start": recorded for the refusal message
  // How long the lock stays live after its last renewal; renewed every lease / 3.
  std::chrono::seconds lease{60};
  // Take over a lock that has not expired (--force-unlock): for a run known to be dead.
  bool force = false;
  // Called once, from the renewal thread, when the lock is found taken over or could not be
  // renewed before it expired; the run must stop. Default: RequestCancellation().
  std::function<void(const Status&)> on_lost;
};

// What a lock file says.
struct LockRecord {
  std::string owner;  // random token, unique per run
  std::string host;
  int64_t pid = 0;
  std::string command;
  int64_t started_ms = 0;  // Unix time, milliseconds
  int64_t expires_ms = 0;

  std::string ToJson() const;
  // DataLoss naming `name` when the text is not a lock record.
  static Result<LockRecord> FromJson(const std::string& text, const std::string& name);
  // "dump on host h, pid 12, started 2026-01-02T03:04:05Z, lease expires ...".
  std::string Describe() const;
};

class OutputLock {
 public:
  static constexpr const char* kFileName = "migration.lock";

  // Takes the lock of the output `storage` (which must outlive the lock). FailedPrecondition
  // naming the holder when another run holds a live lock (or an unreadable one) and
  // `options.force` is false; storage errors as they come.
  static Result<std::unique_ptr<OutputLock>> Acquire(Storage* storage, OutputLockOptions options);
  // Releases (logging a failure) unless Release was called.
  ~OutputLock();

  // Stops the renewal and deletes the lock file if it is still ours. Idempotent.
  Status Release();
  // OK while the lock is held; the reason once it was lost.
  Status lost() const;
  const LockRecord& record() const { return record_; }

 private:
  OutputLock(Storage* storage, OutputLockOptions options, LockRecord record,
             std::string version);
  void RenewLoop();
  // One renewal; returns the error that loses the lock, OK otherwise (a transient failure
  // before the expiry is only logged).
  Status RenewOnce();

  Storage* storage_;
  OutputLockOptions options_;
  LockRecord record_;
  std::string version_;  // of the lock file as we last wrote it

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool released_ = false;
  Status lost_;
  std::thread renewer_;
};

// The lease length: MM_LOCK_LEASE_SECONDS from the environment (2..86400), else 60 s.
// InvalidArgument naming the variable for a bad value.
Result<std::chrono::seconds> LockLeaseFromEnvironment();

}  // namespace mm
