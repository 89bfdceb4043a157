// A Redis reply as a plain value tree, owned and copyable: what the client hands out instead
// of hiredis' redisReply, so that the code reading FT.INFO, CLUSTER NODES or HGETALL answers
// is tested on replies built by hand, and hiredis stays out of every header but the client's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mm {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;                  // kString, kStatus, kError
  int64_t integer = 0;              // kInteger
  std::vector<RedisReply> elements;  // kArray (RESP2 maps arrive as flat key/value arrays)

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
  bool is_string() const { return type == Type::kString || type == Type::kStatus; }
  bool is_array() const { return type == Type::kArray; }

  static RedisReply String(std::string s) {
    RedisReply r;
    r.type = Type::kString;
    r.str = std::move(s);
    return r;
  }
  static RedisReply Array(std::vector<RedisReply> e) {
    RedisReply r;
    r.type = Type::kArray;
    r.elements = std::move(e);
    return r;
  }
  static RedisReply Integer(int64_t v) {
    RedisReply r;
    r.type = Type::kInteger;
    r.integer = v;
    return r;
  }
  static RedisReply Error(std::string s) {
    RedisReply r;
    r.type = Type::kError;
    r.str = std::move(s);
    return r;
  }
};

}  // namespace mm
