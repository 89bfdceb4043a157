// Where an object store's request signer gets its credentials: a fixed key pair from the
// config, or temporary ones fetched from a cloud's identity service (instance metadata, STS,
// an OAuth2 token endpoint) and fetched again before they expire, so a run longer than a
// token's life keeps working.
//
// Credentials are either a SigV4 key pair (access key, secret key, optional session token)
// or an OAuth2 bearer token (Google Cloud Storage with useIAM). None of them ever appears in a
// log line or an error message: errors name `Origin()` instead.
//
// Thread-safe: many requests ask at once; one of them refreshes, the others wait for it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"

namespace mm {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as x-amz-security-token when set
  std::string bearer_token;   // when set, sent as "Authorization: Bearer" instead of SigV4
  // When they stop working; nullopt for keys that do not expire.
  std::optional<std::chrono::system_clock::time_point> expires;
};

class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // Credentials valid for a while yet (at least the refresh margin when they expire).
  // Unavailable / PermissionDenied / InvalidArgument naming Origin() when none can be had.
  virtual Result<Credentials> Get() = 0;
  // Where the credentials come from, for messages: "target.remote.ak/sk",
  // "EC2 instance metadata (useIAM)", ...
  virtual std::string Origin() const = 0;
};

// Fixed credentials (the config's ak/sk, or AWS_ACCESS_KEY_ID & co.).
class StaticCredentialProvider : public CredentialProvider {
 public:
  StaticCredentialProvider(Credentials credentials, std::string origin)
      : credentials_(std::move(credentials)), origin_(std::move(origin)) {}
  Result<Credentials> Get() override { return credentials_; }
  std::string Origin() const override { return origin_; }

 private:
  Credentials credentials_;
  std::string origin_;
};

// Temporary credentials from `fetch`, kept until `refresh_margin` before they expire and
// fetched again then (credentials without an expiry are kept for good). A failed refresh
// is returned to the caller; the next Get() tries again.
class RefreshingCredentialProvider : public CredentialProvider {
 public:
  using Clock = std::chrono::system_clock;
  using Fetch = std::function<Result<Credentials>()>;

  RefreshingCredentialProvider(Fetch fetch, std::string origin,
                               std::chrono::seconds refresh_margin = std::chrono::minutes(5),
                               std::function<Clock::time_point()> now = &Clock::now)
      : fetch_(std::move(fetch)),
        origin_(std::move(origin)),
        margin_(refresh_margin),
        now_(std::move(now)) {}

  Result<Credentials> Get() override;
  std::string Origin() const override { return origin_; }
  // How many times the credentials were fetched (tests check the refresh).
  int fetches() const;

 private:
  Fetch fetch_;
  std::string origin_;
  std::chrono::seconds margin_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::optional<Credentials> cached_;
  int fetches_ = 0;
};

}  // namespace mm
