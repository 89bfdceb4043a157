#include "sources/redis/redis_config.h"

#include <charconv>
#include <set>

#include "absl/strings/ascii.h"
#include "config/config_limits.h"
#include "core/redact.h"
#include "milvus/name_rules.h"
#include "sources/redis/redis_source.h"

namespace mm {
namespace {

constexpr int64_t kDefaultMaxLen = 65535;

// "%41" -> "A"; false on a bad escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc() || p != in.data() + i + 3) return false;
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
}

Result<DataType> ParseType(const std::string& text) {
  static const std::vector<std::pair<std::string, DataType>> kTypes = {
      {"int64", DataType::kInt64},   {"int32", DataType::kInt32},
      {"int16", DataType::kInt16},   {"int8", DataType::kInt8},
      {"float", DataType::kFloat},   {"double", DataType::kDouble},
      {"bool", DataType::kBool},     {"varchar", DataType::kVarChar},
      {"json", DataType::kJson},     {"vector", DataType::kFloatVector},
      {"floatvector", DataType::kFloatVector},
      {"float16vector", DataType::kFloat16Vector},
      {"bfloat16vector", DataType::kBFloat16Vector}};
  const std::string lower = absl::AsciiStrToLower(text);
  for (const auto& [name, type] : kTypes) {
    if (lower == name) return type;
  }
  return absl::InvalidArgumentError(
      StrCat("'", text, "' is not a supported type; expected Int64, Int32, Int16, Int8, Float, "
             "Double, Bool, VarChar, JSON or vector (FloatVector, Float16Vector, "
             "BFloat16Vector)"));
}

Status ReadField(const ConfigReader& f, RedisFieldConfig* out) {
  std::string type;
  std::string pk;
  std::string data_type;
  RETURN_IF_ERROR(f.Get("name", &out->name));
  RETURN_IF_ERROR(f.Get("path", &out->path));
  RETURN_IF_ERROR(f.Get("type", &type));
  RETURN_IF_ERROR(f.GetIntInRange("dims", &out->dims, 0, kMaxDim));
  RETURN_IF_ERROR(f.Get("dataType", &data_type));
  RETURN_IF_ERROR(f.Get("pk", &pk));
  RETURN_IF_ERROR(f.GetIntInRange("maxLen", &out->max_len, 0, 65535));
  if (out->name.empty()) return f.Invalid("name", "must be set");
  pk = absl::AsciiStrToLower(pk);
  if (pk == "key") {
    out->from_key = true;
    out->pk = true;
    if (type.empty()) type = "VarChar";
  } else if (pk == "true") {
    out->pk = true;
  } else if (!pk.empty() && pk != "false") {
    return f.Invalid("pk", StrCat("expected true, false or key, got '", pk, "'"));
  }
  if (type.empty()) return f.Invalid("type", "must be set");
  auto parsed = ParseType(type);
  if (!parsed.ok()) return f.Invalid("type", std::string(parsed.status().message()));
  out->type = *parsed;
  const bool vector = IsVectorType(out->type);
  if (out->type == DataType::kFloat16Vector) out->vector_type = RedisVectorType::kFloat16;
  if (out->type == DataType::kBFloat16Vector) out->vector_type = RedisVectorType::kBFloat16;
  if (!data_type.empty()) {
    if (!vector) return f.Invalid("dataType", "is only for vector fields");
    const std::string upper = absl::AsciiStrToUpper(data_type);
    if (upper == "FLOAT32") {
      out->vector_type = RedisVectorType::kFloat32;
    } else if (upper == "FLOAT64") {
      out->vector_type = RedisVectorType::kFloat64;
    } else if (upper == "FLOAT16") {
      out->vector_type = RedisVectorType::kFloat16;
    } else if (upper == "BFLOAT16") {
      out->vector_type = RedisVectorType::kBFloat16;
    } else {
      return f.Invalid("dataType", StrCat("expected FLOAT32, FLOAT64, FLOAT16 or BFLOAT16, got '",
                                          data_type, "'"));
    }
    // The Milvus type follows the stored components: half floats stay half floats (exact);
    // FLOAT64 is narrowed to FloatVector, as Milvus has no double vector.
    switch (out->vector_type) {
      case RedisVectorType::kFloat16: out->type = DataType::kFloat16Vector; break;
      case RedisVectorType::kBFloat16: out->type = DataType::kBFloat16Vector; break;
      default: out->type = DataType::kFloatVector; break;
    }
  }
  if (vector && out->dims <= 0) return f.Invalid("dims", "must be set (> 0) for a vector");
  if (!vector && out->dims != 0) return f.Invalid("dims", "is only for vector fields");
  if (out->pk && out->type != DataType::kInt64 && out->type != DataType::kVarChar) {
    return f.Invalid("pk", StrCat("a primary key must be Int64 or VarChar, not ",
                                  DataTypeName(out->type)));
  }
  if (out->from_key && out->type != DataType::kVarChar) {
    return f.Invalid("pk", "pk: key makes a VarChar primary key from the key; type must be "
                           "VarChar");
  }
  return absl::OkStatus();
}

}  // namespace

int RedisVectorWidth(RedisVectorType t) {
  switch (t) {
    case RedisVectorType::kFloat64: return 8;
    case RedisVectorType::kFloat16:
    case RedisVectorType::kBFloat16: return 2;
    default: return 4;
  }
}

Result<RedisEndpoint> ParseRedisUrl(const std::string& url) {
  RedisEndpoint ep;
  std::string_view rest = url;
  if (rest.substr(0, 8) == "redis://") {
    rest.remove_prefix(8);
  } else if (rest.substr(0, 9) == "rediss://") {
    rest.remove_prefix(9);
    ep.tls = true;
  } else {
    return absl::InvalidArgumentError("must start with redis:// or rediss://");
  }
  // The path (the db) starts at the first '/' after the userinfo, which ends at the last '@'.
  const size_t at = rest.rfind('@');
  std::string_view userinfo;
  if (at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
  }
  std::string_view hostport = rest;
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (!userinfo.empty()) {
    const size_t colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    std::string_view password =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    if (colon == std::string_view::npos) {
      // redis://secret@host: a lone userinfo is the password, as redis-cli and redis-py read it.
      password = user;
      user = {};
    }
    if (!PercentDecode(user, &ep.user) || !PercentDecode(password, &ep.password)) {
      return absl::InvalidArgumentError("has a bad %-escape in its user or password");
    }
  }
  std::string_view host = hostport;
  if (!hostport.empty() && hostport[0] == '[') {  // [::1]:6379
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("has an unclosed '['");
    host = hostport.substr(1, close - 1);
    hostport.remove_prefix(close + 1);
    if (!hostport.empty() && hostport[0] != ':') {
      return absl::InvalidArgumentError("has text after the IPv6 host");
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    hostport.remove_prefix(colon);
  } else {
    hostport = {};
  }
  if (!hostport.empty()) {  // ":6379"
    std::string_view port = hostport.substr(1);
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return absl::InvalidArgumentError("has a port that is not 1..65535");
    }
    ep.port = p;
  }
  if (host.empty()) return absl::InvalidArgumentError("names no host");
  ep.host = std::string(host);
  if (!path.empty()) {
    int db = 0;
    auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || end != path.data() + path.size() || db < 0) {
      return absl::InvalidArgumentError("has a path that is not a db number (redis://host:port/0)");
    }
    ep.db = db;
  }
  return ep;
}

std::string RedisPrefixPattern(const std::string& prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('*');
  return out;
}

Result<SchemaPtr> RedisSchema(const std::vector<RedisFieldConfig>& fields,
                              const std::string& collection) {
  auto schema = std::make_shared<Schema>();
  schema->collection = collection;
  int pks = 0;
  int vectors = 0;
  std::set<std::string> names;
  for (const auto& f : fields) {
    if (!names.insert(f.name).second) {
      return absl::InvalidArgumentError(StrCat("[source.redis.fields] '", f.name,
                                               "' is listed twice"));
    }
    FieldSchema fs{.name = f.name, .type = f.type, .primary_key = f.pk};
    if (IsVectorType(f.type)) {
      fs.dim = f.dims;
      ++vectors;
    }
    if (f.type == DataType::kVarChar) fs.max_length = f.max_len > 0 ? f.max_len : kDefaultMaxLen;
    pks += f.pk ? 1 : 0;
    schema->fields.push_back(std::move(fs));
  }
  if (pks != 1) {
    return absl::InvalidArgumentError(StrCat(
        "[source.redis.fields] must have exactly one primary key (pk: true, or pk: key for "
        "the key itself), found ", pks));
  }
  if (vectors == 0) {
    return absl::InvalidArgumentError(
        "[source.redis.fields] must include a vector field: a Milvus collection needs one");
  }
  RETURN_IF_ERROR(schema->Validate());
  return SchemaPtr(std::move(schema));
}

Status ReadRedisConfig(const ConfigReader& r, RedisConfig* out) {
  std::string url;
  RETURN_IF_ERROR(r.Get("source.redis.url", &url));
  if (url.empty()) return r.Invalid("source.redis.url", "must name the server (redis://host:port)");
  auto ep = ParseRedisUrl(url);
  if (!ep.ok()) return r.Invalid("source.redis.url", std::string(ep.status().message()));
  out->endpoint = std::move(*ep);
  RETURN_IF_ERROR(r.Get("source.redis.prefix", &out->prefix));
  RETURN_IF_ERROR(r.Get("source.redis.match", &out->match));
  if (!out->prefix.empty() && !out->match.empty()) {
    return r.Invalid("source.redis.match", "and source.redis.prefix both select keys: set one");
  }
  std::string key_type;
  RETURN_IF_ERROR(r.Get("source.redis.keyType", &key_type));
  out->key_type_set = !key_type.empty();
  key_type = absl::AsciiStrToLower(key_type);
  if (key_type.empty() || key_type == "hash") {
    out->key_type = RedisKeyType::kHash;
  } else if (key_type == "json") {
    out->key_type = RedisKeyType::kJson;
  } else if (key_type == "string") {
    out->key_type = RedisKeyType::kString;
  } else {
    return r.Invalid("source.redis.keyType",
                     StrCat("expected hash, json or string, got '", key_type, "'"));
  }
  RETURN_IF_ERROR(r.Get("source.redis.index", &out->index));
  RETURN_IF_ERROR(r.GetIntInRange("source.redis.scanCount", &out->scan_count, 1, 100000,
                                  "keys a SCAN page"));
  if (r.Has("source.redis.fields")) {
    ASSIGN_OR_RETURN(std::vector<ConfigReader> items, r.Items("source.redis.fields"));
    for (const ConfigReader& item : items) {
      RedisFieldConfig field;
      RETURN_IF_ERROR(ReadField(item, &field));
      out->fields.push_back(std::move(field));
    }
  }
  if (out->fields.empty() && out->index.empty()) {
    return r.Invalid("source.redis.fields",
                     "must list the fields to migrate (or set source.redis.index to read "
                     "them from a RediSearch index)");
  }
  if (out->index.empty()) {
    ASSIGN_OR_RETURN(SchemaPtr checked, RedisSchema(out->fields, "check"));
    (void)checked;
  }
  return absl::OkStatus();
}

bool RecogniseRedisConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  return r.Has("source.redis");
}

Result<std::shared_ptr<const SourceConfig>> ParseRedisSourceConfig(ConfigReader& r,
                                                                   MigrationConfig* shared) {
  auto config = std::make_shared<RedisConfig>();
  RETURN_IF_ERROR(ReadRedisConfig(r, config.get()));
  config->collection = shared->collection;
  config->metric_type = shared->metric_type;
  config->skip_invalid_rows = shared->skip_invalid_rows;
  if (config->collection.empty() && config->index.empty()) {
    return r.Invalid("target.create.collection.name",
                     "must name the collection the Redis keys go to");
  }
  if (!config->collection.empty()) {
    RETURN_IF_ERROR(ValidateMilvus2xName(config->collection, "[target.create.collection.name]"));
  }
  return std::shared_ptr<const SourceConfig>(std::move(config));
}

Result<OpenedSource> OpenRedisSource(const SourceConfig& source_config,
                                     const MigrationConfig& /*shared*/) {
  const auto& config = static_cast<const RedisConfig&>(source_config);
  ASSIGN_OR_RETURN(std::unique_ptr<RedisSource> source, RedisSource::Open(config));
  OpenedSource opened;
  opened.id = StrCat("redis:", config.endpoint.host, ":", config.endpoint.port, "/",
                     config.endpoint.db, " ",
                     config.match.empty() ? StrCat("prefix '", config.prefix, "'")
                                          : StrCat("match '", config.match, "'"));
  opened.source = std::move(source);
  return opened;
}

}  // namespace mm
