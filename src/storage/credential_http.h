// The small HTTP calls that fetch temporary credentials (instance metadata, STS, OAuth2
// token endpoints), over libcurl. Separate from S3Client: these go to another host, are not
// signed, and their answers hold secrets, so nothing here logs a body.
//
// A call that cannot connect, or gets 5xx/429, is tried again a few times (metadata servers
// are local and answer fast); other statuses come back to the caller. Thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mm {

struct CredentialHttpRequest {
  std::string method = "GET";  // GET, PUT or POST
  std::string url;             // no secret in it: it is named in errors
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  long timeout_ms = 5000;      // each attempt, connect and answer
  int attempts = 3;
  // Instance metadata endpoints are link-local and never reached through a proxy.
  bool bypass_proxy = false;
};

struct CredentialHttpResponse {
  long status = 0;
  std::string body;
};

// Unavailable naming the URL (and `what`, e.g. "the EC2 instance metadata service") when no
// attempt got an answer; curl's reason is redacted of credentials.
Result<CredentialHttpResponse> CredentialHttpCall(const CredentialHttpRequest& request,
                                                  const std::string& what);

// application/x-www-form-urlencoded, for OAuth2 and STS form posts.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace mm
