// Turns the answer to one key's read (HGETALL, GET of JSON text, or JSON.GET) into a row of a
// batch. Hash values are text (numbers as Redis stores them) or, for vectors, little-endian
// blobs of dims components of the field's dataType; JSON documents hold numbers, strings,
// booleans and arrays. A key whose answer is empty or nil was deleted after SCAN returned it:
// it is skipped and counted whatever dumper.invalidRows says. A row with a missing field, a
// blob of the wrong length or a value of the wrong kind is invalid: an error naming the key
// and the field (dumper.invalidRows: fail), or skipped and counted (skip).
// Thread-compatible: one decoder per reader.
#pragma once

#include <string>
#include <vector>

#include "core/batch.h"
#include "core/status.h"
#include "sources/redis/redis_config.h"
#include "sources/redis/redis_reply.h"

namespace mm {

enum class RedisRowOutcome { kRow, kDeleted, kInvalid };

class RedisRowDecoder {
 public:
  // `fields` in the schema's order; `prefix` is taken off the key for a pk: key field.
  RedisRowDecoder(SchemaPtr schema, std::vector<RedisFieldConfig> fields, RedisKeyType key_type,
                  std::string prefix, bool skip_invalid);

  // Appends `key`'s row to `batch`, or adds it to the batch's skips (deleted, or invalid with
  // skip). InvalidArgument for an invalid row under fail.
  Result<RedisRowOutcome> Decode(const std::string& key, const RedisReply& reply, Batch* batch);

  // The read command of `key` for this key type: HGETALL, GET or JSON.GET.
  std::vector<std::string> ReadCommand(const std::string& key) const;

 private:
  // Why the row is invalid, or ""; fills values[i] with column i's bytes.
  std::string FromHash(const std::string& key, const RedisReply& reply,
                       std::vector<std::string>* values) const;
  std::string FromJson(const std::string& key, const std::string& text,
                       std::vector<std::string>* values) const;

  SchemaPtr schema_;
  std::vector<RedisFieldConfig> fields_;
  RedisKeyType key_type_;
  std::string prefix_;
  bool skip_invalid_;
};

}  // namespace mm
