// Parses the address users give for a Milvus server ("host:port", "http://host:port",
// "https://host:port") into a gRPC target and whether to use TLS. Pure function, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mm {

struct MilvusEndpoint {
  std::string target;  // "host:port", what gRPC dials; "[v6addr]:port" for IPv6.
  bool tls = false;    // true for "https://".
  // From userinfo ("http://user:password@host:19530"), percent-decoded; empty without.
  // Never part of `target`, so never in a message.
  std::string username;
  std::string password;
};

// Accepts an optional scheme (http, https, tcp, grpc; https means TLS), optional userinfo
// (user[:password]@, up to the last '@'), a host (IPv6 in brackets) and an optional port
// (default 19530, or 443 for https). A trailing "/" is dropped; any other path is an error,
// since gRPC has no use for it. Errors quote the endpoint redacted (core/redact.h).
Result<MilvusEndpoint> ParseMilvusEndpoint(std::string_view endpoint);

}  // namespace mm
