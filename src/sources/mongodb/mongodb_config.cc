#include "sources/mongodb/mongodb_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "config/config_limits.h"
#include "milvus/name_rules.h"
#include "sources/mongodb/mongo_client.h"
#include "sources/mongodb/mongo_source.h"

namespace mm {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

constexpr const char* kTypeNames =
    "Bool, Int8, Int16, Int32, Int64, Float, Double, VarChar, JSON, Array, FloatVector, "
    "BinaryVector";

Status ReadField(const ConfigReader& f, MongoFieldConfig* out) {
  std::string type;
  std::string element_type;
  RETURN_IF_ERROR(f.Get("name", &out->path));
  RETURN_IF_ERROR(f.Get("target", &out->target));
  RETURN_IF_ERROR(f.Get("type", &type));
  RETURN_IF_ERROR(f.GetIntInRange("dims", &out->dims, 0, kMaxDim));
  RETURN_IF_ERROR(f.GetIntInRange("maxLen", &out->max_len, 0, 65535));
  RETURN_IF_ERROR(f.Get("elementType", &element_type));
  RETURN_IF_ERROR(f.GetIntInRange("maxCapacity", &out->max_capacity, 0, 4096));
  if (out->path.empty()) return f.Invalid("name", "must name a document field (dotted path)");
  if (out->path.front() == '.' || out->path.back() == '.' ||
      out->path.find("..") != std::string::npos || out->path.front() == '$') {
    return f.Invalid("name", StrCat("'", out->path, "' is not a field path"));
  }
  out->type = ParseMongoFieldType(type);
  if (out->type == DataType::kNone) {
    return f.Invalid("type", StrCat("'", type, "' is not supported; expected one of ", kTypeNames));
  }
  if (out->target.empty()) {
    out->target = out->path;
    std::replace(out->target.begin(), out->target.end(), '.', '_');
  }
  if (out->path == "_id") {
    if (out->type != DataType::kVarChar && out->type != DataType::kInt64) {
      return f.Invalid("type", "_id is the primary key: VarChar (ObjectId, string) or Int64");
    }
  } else {
    RETURN_IF_ERROR(ValidateMilvus2xName(out->target, StrCat("[", "source.mongodb.fields",
                                                             "] target of '", out->path, "'")));
  }
  const bool vector = out->type == DataType::kFloatVector || out->type == DataType::kBinaryVector;
  if (vector) {
    if (out->dims <= 0) return f.Invalid("dims", "must be set (> 0) for a vector field");
    if (out->type == DataType::kBinaryVector && out->dims % 8 != 0) {
      return f.Invalid("dims", StrCat("a BinaryVector's dims (bits) must be a multiple of 8, got ",
                                      out->dims));
    }
  } else if (out->dims != 0) {
    return f.Invalid("dims", "is only for FloatVector and BinaryVector fields");
  }
  if (out->type == DataType::kArray) {
    out->element_type = ParseMongoFieldType(element_type);
    if (out->element_type == DataType::kNone || IsVectorType(out->element_type) ||
        out->element_type == DataType::kArray || out->element_type == DataType::kJson) {
      return f.Invalid("elementType", StrCat("an Array needs a scalar elementType (Bool, Int8.."
                                             "Int64, Float, Double, VarChar), got '",
                                             element_type, "'"));
    }
    if (out->max_capacity == 0) out->max_capacity = 4096;
  } else if (!element_type.empty() || out->max_capacity != 0) {
    return f.Invalid(element_type.empty() ? "maxCapacity" : "elementType",
                     "is only for Array fields");
  }
  const bool has_text = out->type == DataType::kVarChar ||
                        (out->type == DataType::kArray && out->element_type == DataType::kVarChar);
  if (out->max_len != 0 && !has_text) return f.Invalid("maxLen", "is only for VarChar fields");
  return absl::OkStatus();
}

}  // namespace

DataType ParseMongoFieldType(const std::string& name) {
  static const std::map<std::string, DataType> kTypes = {
      {"bool", DataType::kBool},       {"int8", DataType::kInt8},
      {"int16", DataType::kInt16},     {"int32", DataType::kInt32},
      {"int64", DataType::kInt64},     {"float", DataType::kFloat},
      {"double", DataType::kDouble},   {"varchar", DataType::kVarChar},
      {"json", DataType::kJson},       {"array", DataType::kArray},
      {"floatvector", DataType::kFloatVector}, {"binaryvector", DataType::kBinaryVector}};
  auto it = kTypes.find(Lower(name));
  return it == kTypes.end() ? DataType::kNone : it->second;
}

std::string MongoUriForLog(const std::string& uri) {
  // scheme://[user:password@]hosts[/database][?options]: keep the scheme, hosts and
  // database; user info and options (which may carry key passwords) are left out.
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return "(not a mongodb URI)";
  const size_t start = scheme + 3;
  const size_t query = uri.find('?', start);
  std::string rest = uri.substr(start, query == std::string::npos ? std::string::npos
                                                                  : query - start);
  const size_t slash = rest.find('/');
  const size_t at = rest.rfind('@', slash == std::string::npos ? std::string::npos : slash);
  if (at != std::string::npos) rest = rest.substr(at + 1);
  return StrCat(uri.substr(0, start), rest);
}

Status ReadMongoConfig(const ConfigReader& r, MongoConfig* out) {
  RETURN_IF_ERROR(r.Get("source.mongodb.uri", &out->uri));
  if (out->uri.rfind("mongodb://", 0) != 0 && out->uri.rfind("mongodb+srv://", 0) != 0) {
    return r.Invalid("source.mongodb.uri",
                     out->uri.empty() ? std::string("must be set (mongodb:// or mongodb+srv://)")
                                      : StrCat("must start with mongodb:// or mongodb+srv://, "
                                               "got '", MongoUriForLog(out->uri), "'"));
  }
  RETURN_IF_ERROR(r.Get("source.mongodb.database", &out->database));
  if (out->database.empty()) return r.Invalid("source.mongodb.database", "must be set");
  std::map<std::string, std::string> collections;
  RETURN_IF_ERROR(r.Get("source.mongodb.collections", &collections));
  if (collections.empty()) {
    return r.Invalid("source.mongodb.collections",
                     "must map at least one source collection to a target collection");
  }
  std::set<std::string> targets;
  for (auto& [name, target] : collections) {
    if (target.empty()) target = name;
    RETURN_IF_ERROR(ValidateMilvus2xName(target, StrCat("[source.mongodb.collections.", name,
                                                        "]")));
    if (!targets.insert(target).second) {
      return r.Invalid("source.mongodb.collections",
                       StrCat("two collections go to target '", target, "'"));
    }
    out->collections.emplace_back(name, target);
  }
  RETURN_IF_ERROR(r.Get("source.mongodb.filter", &out->filter));
  if (out->filter.empty()) out->filter = "{}";
  RETURN_IF_ERROR(CheckMongoFilter(out->filter, "[source.mongodb.filter]"));

  ASSIGN_OR_RETURN(std::vector<ConfigReader> items, r.Items("source.mongodb.fields"));
  if (items.empty()) return r.Invalid("source.mongodb.fields", "must list the fields to migrate");
  std::set<std::string> paths;
  std::set<std::string> names;
  int vectors = 0;
  for (const ConfigReader& item : items) {
    MongoFieldConfig field;
    RETURN_IF_ERROR(ReadField(item, &field));
    if (!paths.insert(field.path).second) {
      return item.Invalid("name", StrCat("'", field.path, "' is listed twice"));
    }
    if (!names.insert(field.target).second) {
      return item.Invalid("target", StrCat("two fields are named '", field.target, "'"));
    }
    vectors += IsVectorType(field.type) ? 1 : 0;
    out->fields.push_back(std::move(field));
  }
  if (vectors == 0) {
    return r.Invalid("source.mongodb.fields",
                     "must include a FloatVector or BinaryVector field: a Milvus collection "
                     "needs a vector field");
  }
  for (const auto& f : out->fields) {
    for (const auto& g : out->fields) {
      if (g.path.size() > f.path.size() && g.path.rfind(f.path + ".", 0) == 0) {
        return r.Invalid("source.mongodb.fields",
                         StrCat("'", g.path, "' lies inside '", f.path, "'; list one of them"));
      }
    }
  }

  std::string unlisted = "drop";
  RETURN_IF_ERROR(r.Get("source.mongodb.unlisted", &unlisted));
  if (unlisted != "drop" && unlisted != "dynamic") {
    return r.Invalid("source.mongodb.unlisted", StrCat("expected drop or dynamic, got '",
                                                      unlisted, "'"));
  }
  out->dynamic_unlisted = unlisted == "dynamic";
  std::string invalid = "fail";
  RETURN_IF_ERROR(r.Get("source.mongodb.invalidDocs", &invalid));
  if (invalid != "fail" && invalid != "skip") {
    return r.Invalid("source.mongodb.invalidDocs",
                     StrCat("expected fail or skip, got '", invalid, "'"));
  }
  out->skip_invalid_docs = invalid == "skip";
  RETURN_IF_ERROR(r.GetIntInRange("source.mongodb.tasks", &out->tasks, 0, 1024));
  RETURN_IF_ERROR(r.GetIntInRange("source.mongodb.batchDocs", &out->batch_docs, 1, 100000));
  return absl::OkStatus();
}

bool RecogniseMongoConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  return r.Has("source.mongodb");
}

Result<std::shared_ptr<const SourceConfig>> ParseMongoSourceConfig(ConfigReader& r,
                                                                   MigrationConfig* shared) {
  auto config = std::make_shared<MongoConfig>();
  RETURN_IF_ERROR(ReadMongoConfig(r, config.get()));
  // invalidDocs is this source's name for dumper.invalidRows: either sets both.
  const bool has_own = r.Has("source.mongodb.invalidDocs");
  if (has_own && r.Has("dumper.invalidRows") &&
      config->skip_invalid_docs != shared->skip_invalid_rows) {
    return r.Invalid("dumper.invalidRows",
                     "and [source.mongodb.invalidDocs] disagree; they are the same setting: "
                     "set one");
  }
  if (has_own) shared->skip_invalid_rows = config->skip_invalid_docs;
  config->skip_invalid_docs = shared->skip_invalid_rows;
  if (config->tasks == 0) config->tasks = shared->dumper_limit;
  return std::shared_ptr<const SourceConfig>(std::move(config));
}

Result<OpenedSource> OpenMongoSource(const SourceConfig& source_config,
                                     const MigrationConfig& /*shared*/) {
  const auto& config = static_cast<const MongoConfig&>(source_config);
  ASSIGN_OR_RETURN(std::shared_ptr<MongoClient> client, MongoClient::Connect(config.uri));
  ASSIGN_OR_RETURN(auto source, MongoSource::Open(client, config));
  OpenedSource opened;
  std::string names;
  for (const auto& [name, target] : config.collections) {
    names += names.empty() ? name : StrCat(",", name);
  }
  opened.id = StrCat("mongodb:", MongoUriForLog(config.uri), " ", config.database, ".", names);
  opened.source = std::move(source);
  return opened;
}

}  // namespace mm
