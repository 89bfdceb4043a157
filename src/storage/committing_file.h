// A WritableFile whose bytes become visible only when Close() commits them: the Close/Abort
// state machine the storages share. This class checks that the file is still open, keeps
// the first write error (later calls report it instead of writing past a hole), turns a
// failed Close into an Abort, and aborts a file destroyed while open. Subclasses do only
// the storage-specific steps: write (DoAppend, DoRewritePrefix), publish (Commit) and
// throw away (Discard).
//
// Thread-safety: not thread-safe; one thread at a time, like every WritableFile.
#pragma once

#include <string>
#include <string_view>

#include "storage/storage.h"

namespace mm {

class CommittingFile : public WritableFile {
 public:
  Status Append(std::string_view data) final;
  // InvalidArgument, not a kept error, when more is asked than kMaxPrefixRewrite or Size().
  Status RewritePrefix(std::string_view data) final;
  // Commits; when that fails (or a write failed before), aborts and returns the failure.
  // FailedPrecondition after Abort(); OK again after a successful Close().
  Status Close() final;
  // After a successful Close there is nothing to undo: the file stays.
  Status Abort() final;
  const std::string& name() const final { return name_; }

 protected:
  explicit CommittingFile(std::string name) : name_(std::move(name)) {}

  // Subclasses call this in their destructor: Discard() is theirs and cannot run from the
  // base destructor. Logs (does not return) a failed abort.
  void AbortIfOpen();

  // REQUIRES: the file is open and no write has failed. A failure is kept.
  virtual Status DoAppend(std::string_view data) = 0;
  // REQUIRES: as DoAppend, and data.size() <= min(kMaxPrefixRewrite, Size()).
  virtual Status DoRewritePrefix(std::string_view data) = 0;
  // Makes the file visible under its name. Called at most once, by Close().
  virtual Status Commit() = 0;
  // Removes every trace of the file; also after a failed Commit(). Called at most once.
  virtual Status Discard() = 0;

 private:
  enum class State { kOpen, kClosed, kAborted };

  Status CheckWritable() const;
  Status Keep(Status s);

  std::string name_;
  State state_ = State::kOpen;
  Status error_;  // the first failed write
};

}  // namespace mm
