#include "sources/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace mm {
namespace {

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  if (r == nullptr) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

// The server's words, with the password taken out should it ever be echoed.
std::string Scrub(std::string message, const std::string& password) {
  if (password.empty()) return message;
  for (size_t at; (at = message.find(password)) != std::string::npos;) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

}  // namespace

struct RedisClient::Impl {
  redisContext* ctx = nullptr;
  ~Impl() {
    if (ctx != nullptr) redisFree(ctx);
  }
  Status Broken(const std::string& address) const {
    return absl::UnavailableError(StrCat("redis ", address, ": connection failed: ",
                                         ctx->errstr[0] ? ctx->errstr : "closed"));
  }
};

RedisClient::RedisClient(std::unique_ptr<Impl> impl, std::string address)
    : impl_(std::move(impl)), address_(std::move(address)) {}
RedisClient::~RedisClient() = default;

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisEndpoint& ep,
                                                          int timeout_ms) {
  const std::string address = StrCat(ep.host, ":", ep.port);
  if (ep.tls) {
    return absl::UnimplementedError(StrCat(
        "redis ", address, ": rediss:// (TLS) is not supported by this build (Debian 12's "
        "hiredis 0.14 has no TLS); reach the server through a TLS tunnel and use redis://"));
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  auto impl = std::make_unique<Impl>();
  impl->ctx = redisConnectWithTimeout(ep.host.c_str(), ep.port, tv);
  if (impl->ctx == nullptr) return absl::ResourceExhaustedError("redis: out of memory");
  if (impl->ctx->err) {
    return absl::UnavailableError(
        StrCat("redis ", address, ": cannot connect: ", impl->ctx->errstr));
  }
  // Replies to SCAN pages and HGETALL batches of large hashes can take a while on a busy
  // server; a dead one still fails within a minute.
  timeval rw{60, 0};
  redisSetTimeout(impl->ctx, rw);
  std::unique_ptr<RedisClient> client(new RedisClient(std::move(impl), address));
  if (!ep.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!ep.user.empty()) auth.push_back(ep.user);
    auth.push_back(ep.password);
    ASSIGN_OR_RETURN(RedisReply r, client->Command(auth));
    if (r.is_error()) {
      return absl::UnauthenticatedError(StrCat(
          "redis ", address, ": authentication as ",
          ep.user.empty() ? std::string("the default user") : StrCat("user '", ep.user, "'"),
          " was refused (", Scrub(r.str, ep.password),
          "); check the user and password of source.redis.url"));
    }
  }
  // PING tells a missing password (NOAUTH) from a reachable server.
  ASSIGN_OR_RETURN(RedisReply ping, client->Command({"PING"}));
  if (ping.is_error()) {
    if (ping.str.rfind("NOAUTH", 0) == 0) {
      return absl::UnauthenticatedError(StrCat(
          "redis ", address, ": the server requires a password (", ping.str,
          "); set it in source.redis.url (redis://user:password@host:port)"));
    }
    return absl::UnavailableError(StrCat("redis ", address, ": PING answered ", ping.str));
  }
  if (ep.db != 0) {
    ASSIGN_OR_RETURN(RedisReply sel, client->Command({"SELECT", std::to_string(ep.db)}));
    if (sel.is_error()) {
      return absl::InvalidArgumentError(StrCat("redis ", address, ": SELECT ", ep.db,
                                               " refused (", sel.str,
                                               "); check the db of source.redis.url"));
    }
  }
  return client;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(std::vector<RedisReply> replies, Pipeline({argv}));
  return std::move(replies[0]);
}

Result<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& cmds) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& argv : cmds) {
    args.clear();
    lens.clear();
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(impl_->ctx, static_cast<int>(args.size()), args.data(),
                               lens.data()) != REDIS_OK) {
      return impl_->Broken(address_);
    }
  }
  std::vector<RedisReply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(impl_->ctx, &raw) != REDIS_OK || raw == nullptr) {
      return impl_->Broken(address_);
    }
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(Convert(reply));
    freeReplyObject(reply);
  }
  return out;
}

}  // namespace mm
