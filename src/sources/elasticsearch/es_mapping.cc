#include "sources/elasticsearch/es_mapping.h"

#include <fnmatch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace mm {
namespace {

using nlohmann::json;

// Mapping types each configured type reads.
const std::map<std::string, std::set<std::string>>& Compatible() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"keyword", {"keyword", "constant_keyword", "wildcard", "text", "match_only_text"}},
      {"text", {"text", "match_only_text", "keyword", "wildcard"}},
      {"long", {"long", "integer", "short", "byte"}},
      {"integer", {"integer", "short", "byte"}},
      {"short", {"short", "byte"}},
      {"byte", {"byte"}},
      {"double", {"double", "float", "half_float", "scaled_float", "long", "integer"}},
      {"float", {"float", "half_float"}},
      {"half_float", {"half_float"}},
      {"boolean", {"boolean"}},
      {"date", {"date", "date_nanos"}},
      {"dense_vector", {"dense_vector"}},
      {"object", {"object", "nested", "flattened"}},
      {"flattened", {"flattened", "object"}},
  };
  return table;
}

// The mapping of a dotted path: properties of objects, or a literal dotted property.
const json* FindProperty(const json& properties, const std::string& path) {
  if (!properties.is_object()) return nullptr;
  if (auto it = properties.find(path); it != properties.end()) return &*it;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    auto it = properties.find(path.substr(0, dot));
    if (it == properties.end() || !it->contains("properties")) continue;
    if (const json* found = FindProperty((*it)["properties"], path.substr(dot + 1))) return found;
  }
  return nullptr;
}

std::string TypeOf(const json& property) {
  if (property.contains("type") && property["type"].is_string()) {
    return property["type"].get<std::string>();
  }
  return property.contains("properties") ? "object" : "";
}

bool Excluded(const json& source, const std::string& field) {
  if (!source.is_object()) return false;
  if (source.value("enabled", true) == false) return true;
  auto matches = [&](const char* key) {
    if (!source.contains(key) || !source[key].is_array()) return false;
    for (const auto& pattern : source[key]) {
      if (pattern.is_string() &&
          fnmatch(pattern.get<std::string>().c_str(), field.c_str(), 0) == 0) {
        return true;
      }
    }
    return false;
  };
  if (matches("excludes")) return true;
  const bool has_includes = source.contains("includes") && source["includes"].is_array() &&
                            !source["includes"].empty();
  return has_includes && !matches("includes");
}

}  // namespace

Result<EsMappingCheck> CheckEsMapping(const ElasticsearchConfig& config,
                                      const std::string& mapping_json) {
  json root = json::parse(mapping_json, nullptr, false);
  if (!root.is_object() || root.empty()) {
    return absl::DataLossError(
        StrCat("elasticsearch index '", config.index, "': the mapping response is not JSON"));
  }
  EsMappingCheck out;
  static const std::set<std::string> kSortableTypes = {"keyword", "long", "integer", "short",
                                                       "byte"};
  std::set<std::string> unsortable;
  std::map<std::string, bool> bit_seen;  // dense_vector field -> element_type is bit
  for (const auto& [concrete, body] : root.items()) {
    const json& mappings = body.contains("mappings") ? body["mappings"] : json::object();
    const json& properties =
        mappings.contains("properties") ? mappings["properties"] : json::object();
    const json& source = mappings.contains("_source") ? mappings["_source"] : json::object();
    for (size_t i = 0; i < config.fields.size(); ++i) {
      const EsFieldConfig& f = config.fields[i];
      if (f.name == "_id") continue;
      const json* property = FindProperty(properties, f.name);
      if (property == nullptr) {
        return absl::NotFoundError(StrCat("[meta.fields[", i, "]] field '", f.name,
                                          "' is not in the mapping of index '", concrete, "'"));
      }
      const std::string type = TypeOf(*property);
      if (!Compatible().at(f.type).count(type)) {
        return absl::InvalidArgumentError(
            StrCat("[meta.fields[", i, "]] field '", f.name, "' is declared ", f.type,
                   " but index '", concrete, "' maps it as ", type.empty() ? "?" : type));
      }
      if (f.type == "dense_vector" && property->contains("dims") &&
          (*property)["dims"].is_number_integer() &&
          (*property)["dims"].get<int64_t>() != f.dims) {
        return absl::InvalidArgumentError(StrCat(
            "[meta.fields[", i, "].dims] field '", f.name, "' has dims ",
            (*property)["dims"].get<int64_t>(), " in index '", concrete, "', the config says ",
            f.dims));
      }
      if (f.type == "dense_vector") {
        // float (the default) and byte vectors both arrive as numbers; bit vectors pack 8
        // dimensions a byte. Anything newer would be read wrongly: refuse it here.
        const std::string element =
            property->contains("element_type") && (*property)["element_type"].is_string()
                ? (*property)["element_type"].get<std::string>()
                : "float";
        if (element != "float" && element != "byte" && element != "bit") {
          return absl::InvalidArgumentError(StrCat(
              "[meta.fields[", i, "]] field '", f.name, "' is a dense_vector with element_type '",
              element, "' in index '", concrete,
              "'; only float, byte and bit vectors can be migrated"));
        }
        if (element == "bit" && f.dims % 8 != 0) {
          return absl::InvalidArgumentError(StrCat(
              "[meta.fields[", i, "].dims] field '", f.name, "' is a bit vector in index '",
              concrete, "', so dims counts bits and must be a multiple of 8, not ", f.dims));
        }
        const bool bit = element == "bit";
        if (!bit_seen.emplace(f.name, bit).second && bit_seen[f.name] != bit) {
          return absl::InvalidArgumentError(StrCat(
              "[meta.fields[", i, "]] field '", f.name, "' is a bit vector in some of the "
              "indexes '", config.index, "' names and not in others (index '", concrete, "')"));
        }
        if (bit) out.bit_vectors.insert(f.name);
      }
      if (Excluded(source, f.name)) out.from_doc_values.insert(f.name);
      if (kSortableTypes.count(type) && property->value("doc_values", true)) {
        out.sortable.insert(f.name);
      } else {
        unsortable.insert(f.name);
      }
    }
  }
  for (const auto& name : unsortable) out.sortable.erase(name);
  return out;
}

}  // namespace mm
