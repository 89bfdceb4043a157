#include "storage/committing_file.h"

#include <spdlog/spdlog.h>

namespace mm {

Status CommittingFile::Append(std::string_view data) {
  RETURN_IF_ERROR(CheckWritable());
  return Keep(DoAppend(data));
}

Status CommittingFile::RewritePrefix(std::string_view data) {
  RETURN_IF_ERROR(CheckWritable());
  if (data.size() > kMaxPrefixRewrite || data.size() > Size()) {
    return absl::InvalidArgumentError(StrCat(
        "cannot rewrite the first ", data.size(), " bytes of '", name_, "': ", Size(),
        " bytes written, at most ", kMaxPrefixRewrite, " may be rewritten"));
  }
  return Keep(DoRewritePrefix(data));
}

Status CommittingFile::Close() {
  if (state_ == State::kClosed) return absl::OkStatus();
  if (state_ == State::kAborted) {
    return absl::FailedPreconditionError(StrCat("'", name_, "' was aborted; cannot close it"));
  }
  Status s = error_.ok() ? Commit() : error_;
  if (!s.ok()) {
    Status aborted = Abort();
    if (!aborted.ok()) spdlog::warn("abandoning {}: {}", name_, std::string(aborted.message()));
    return s;
  }
  state_ = State::kClosed;
  return absl::OkStatus();
}

Status CommittingFile::Abort() {
  if (state_ != State::kOpen) return absl::OkStatus();
  state_ = State::kAborted;
  return Discard();
}

void CommittingFile::AbortIfOpen() {
  if (state_ != State::kOpen) return;
  Status s = Abort();
  if (!s.ok()) spdlog::warn("abandoning {}: {}", name_, std::string(s.message()));
}

Status CommittingFile::CheckWritable() const {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError(StrCat("'", name_, "' is already closed"));
  }
  return error_;
}

Status CommittingFile::Keep(Status s) {
  if (!s.ok() && error_.ok()) error_ = s;
  return s;
}

}  // namespace mm
