// One connection to one Redis server (a standalone server or one node of a cluster), over
// hiredis (Debian's libhiredis 0.14: plain TCP only, no TLS). Commands go as argument
// vectors, so keys and values are binary-safe; Pipeline sends many commands before reading
// any answer, which is what makes reading 200k hashes fast.
// Not thread-safe: one client per task.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/redis/redis_reply.h"

namespace mm {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user; "" = the default user
  std::string password;  // never logged
  int db = 0;
  bool tls = false;      // rediss://; refused by Connect: this build's hiredis has no TLS
};

class RedisClient {
 public:
  // Connects, authenticates (AUTH [user] password) and selects `db`. Errors:
  // Unavailable when the server cannot be reached, Unauthenticated when the password or
  // user is refused (the password is never in the message), InvalidArgument for a db the
  // server does not have, Unimplemented for TLS.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisEndpoint& endpoint,
                                                      int timeout_ms = 10000);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command and reads its answer. An error reply is returned as a reply (its
  // meaning is the caller's); only a broken connection is an error (Unavailable).
  Result<RedisReply> Command(const std::vector<std::string>& argv);
  // Sends every command, then reads the answers in order.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& cmds);

  // "host:port", for messages.
  const std::string& address() const { return address_; }

 private:
  struct Impl;
  explicit RedisClient(std::unique_ptr<Impl> impl, std::string address);
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace mm
