#include "sources/redis/redis_ft_info.h"

#include <charconv>

#include "absl/strings/ascii.h"

namespace mm {
namespace {

// The value after `key` in a flat key/value array (keys compared case-insensitively).
const RedisReply* Lookup(const RedisReply& map, std::string_view key) {
  if (!map.is_array()) return nullptr;
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    const RedisReply& k = map.elements[i];
    if (k.is_string() && absl::EqualsIgnoreCase(k.str, std::string(key))) return &map.elements[i + 1];
  }
  return nullptr;
}

std::string Text(const RedisReply* r) {
  if (r == nullptr) return "";
  if (r->is_string()) return r->str;
  if (r->type == RedisReply::Type::kInteger) return std::to_string(r->integer);
  return "";
}

}  // namespace

Result<RedisIndexInfo> ParseFtInfo(const std::string& index, const RedisReply& reply) {
  auto lost = [&](const std::string& what) {
    return absl::DataLossError(StrCat("redis: FT.INFO ", index, " answered without ", what));
  };
  const RedisReply* def = Lookup(reply, "index_definition");
  if (def == nullptr) return lost("index_definition");
  RedisIndexInfo info;
  const std::string key_type = absl::AsciiStrToUpper(Text(Lookup(*def, "key_type")));
  if (key_type == "JSON") {
    info.key_type = RedisKeyType::kJson;
  } else if (key_type == "HASH" || key_type.empty()) {
    info.key_type = RedisKeyType::kHash;
  } else {
    return absl::InvalidArgumentError(StrCat("redis: index '", index, "' covers keys of type ",
                                             key_type, "; expected HASH or JSON"));
  }
  if (const RedisReply* prefixes = Lookup(*def, "prefixes"); prefixes && prefixes->is_array()) {
    for (const auto& p : prefixes->elements) {
      if (p.is_string()) info.prefixes.push_back(p.str);
    }
  }
  const RedisReply* attrs = Lookup(reply, "attributes");
  if (attrs == nullptr) attrs = Lookup(reply, "fields");  // RediSearch before 2.2
  if (attrs == nullptr || !attrs->is_array()) return lost("attributes");
  for (const RedisReply& a : attrs->elements) {
    std::string identifier = Text(Lookup(a, "identifier"));
    std::string name = Text(Lookup(a, "attribute"));
    const std::string type = absl::AsciiStrToUpper(Text(Lookup(a, "type")));
    if (name.empty()) name = identifier;
    if (identifier.empty()) identifier = name;
    if (name.empty()) return lost("an attribute's name");
    RedisFieldConfig f;
    f.name = name;
    if (info.key_type == RedisKeyType::kJson) {
      // "$.a.b" -> "a.b"; filters and wildcards name no single member.
      std::string path = identifier;
      if (path.rfind("$.", 0) == 0) path = path.substr(2);
      if (path.find_first_of("[]*?$@") != std::string::npos) {
        info.notes.push_back(StrCat("'", name, "' (path ", identifier,
                                    " is not a plain member path)"));
        continue;
      }
      f.path = path == name ? "" : path;
    } else {
      f.path = identifier == name ? "" : identifier;
    }
    if (type == "TEXT" || type == "TAG" || type == "GEO") {
      f.type = DataType::kVarChar;
    } else if (type == "NUMERIC") {
      f.type = DataType::kDouble;
    } else if (type == "VECTOR") {
      // 2.4+: dim / data_type / distance_metric beside the attribute; older ones nest them.
      const RedisReply* params = &a;
      if (Lookup(a, "dim") == nullptr) {
        for (const auto& e : a.elements) {
          if (e.is_array() && Lookup(e, "dim") != nullptr) params = &e;
        }
      }
      const std::string dim = Text(Lookup(*params, "dim"));
      int64_t dims = 0;
      auto [end, ec] = std::from_chars(dim.data(), dim.data() + dim.size(), dims);
      if (dim.empty() || ec != std::errc() || end != dim.data() + dim.size() || dims <= 0) {
        return absl::InvalidArgumentError(StrCat(
            "redis: FT.INFO ", index, " does not give the DIM of vector '", name,
            "'; list the fields in source.redis.fields instead"));
      }
      f.dims = dims;
      std::string data_type = absl::AsciiStrToUpper(Text(Lookup(*params, "data_type")));
      if (data_type.empty()) data_type = absl::AsciiStrToUpper(Text(Lookup(*params, "type")));
      f.type = DataType::kFloatVector;
      if (data_type == "FLOAT64") {
        f.vector_type = RedisVectorType::kFloat64;
      } else if (data_type == "FLOAT16") {
        f.vector_type = RedisVectorType::kFloat16;
        f.type = DataType::kFloat16Vector;
      } else if (data_type == "BFLOAT16") {
        f.vector_type = RedisVectorType::kBFloat16;
        f.type = DataType::kBFloat16Vector;
      } else if (data_type == "FLOAT32" || data_type.empty()) {
        f.vector_type = RedisVectorType::kFloat32;
      } else {
        return absl::InvalidArgumentError(StrCat("redis: vector '", name, "' of index '", index,
                                                 "' holds ", data_type,
                                                 "; expected FLOAT32, FLOAT64, FLOAT16 or "
                                                 "BFLOAT16"));
      }
      const std::string metric =
          absl::AsciiStrToUpper(Text(Lookup(*params, "distance_metric")));
      if (info.metric.empty() && !metric.empty()) info.metric = metric;
    } else {
      info.notes.push_back(StrCat("'", name, "' (", type, ")"));
      continue;
    }
    info.fields.push_back(std::move(f));
  }
  return info;
}

}  // namespace mm
