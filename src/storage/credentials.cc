#include "storage/credentials.h"

namespace mm {

Result<Credentials> RefreshingCredentialProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_.has_value() &&
      (!cached_->expires.has_value() || now_() + margin_ < *cached_->expires)) {
    return *cached_;
  }
  ++fetches_;
  Result<Credentials> fresh = fetch_();
  if (!fresh.ok()) return fresh.status();
  cached_ = *fresh;
  return *fresh;
}

int RefreshingCredentialProvider::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

}  // namespace mm
