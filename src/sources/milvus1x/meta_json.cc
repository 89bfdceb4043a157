#include "sources/milvus1x/meta_json.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace mm {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Field readers: each names the JSON path ("collections[2].segments[0].rows") on error.
class Reader {
 public:
  explicit Reader(std::string name) : name_(std::move(name)) {}

  Status Bad(const std::string& path, const std::string& what) const {
    return absl::DataLossError(StrCat(name_, ": ", path, " ", what));
  }

  // nullptr when absent (or null) and optional; DataLoss when absent and required.
  Result<const Json*> Field(const Json& obj, const std::string& path, const char* key,
                            bool required) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) return Bad(StrCat(path, key), "is missing");
      return static_cast<const Json*>(nullptr);
    }
    return &*it;
  }

  Result<std::string> String(const Json& obj, const std::string& path, const char* key,
                             bool required, std::string fallback = "") const {
    ASSIGN_OR_RETURN(const Json* v, Field(obj, path, key, required));
    if (v == nullptr) return fallback;
    if (!v->is_string()) return Bad(StrCat(path, key), StrCat("is ", v->type_name(), ", expected a string"));
    return v->get<std::string>();
  }

  Result<int64_t> Int(const Json& obj, const std::string& path, const char* key, bool required,
                      int64_t fallback, int64_t min, int64_t max) const {
    ASSIGN_OR_RETURN(const Json* v, Field(obj, path, key, required));
    if (v == nullptr) return fallback;
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) {
        return Bad(StrCat(path, key), StrCat("is ", u, ", out of range [", min, ", ", max, "]"));
      }
      return static_cast<int64_t>(u);
    }
    if (!v->is_number_integer()) {
      return Bad(StrCat(path, key), StrCat("is ", v->type_name(), ", expected an integer"));
    }
    const int64_t i = v->get<int64_t>();
    if (i < min || i > max) {
      return Bad(StrCat(path, key), StrCat("is ", i, ", out of range [", min, ", ", max, "]"));
    }
    return i;
  }

  // A required-or-absent array (absent and null mean empty, as Go's encoding/json allows).
  Result<const Json*> Array(const Json& obj, const std::string& path, const char* key,
                            bool required) const {
    ASSIGN_OR_RETURN(const Json* v, Field(obj, path, key, required));
    if (v != nullptr && !v->is_array()) {
      return Bad(StrCat(path, key), StrCat("is ", v->type_name(), ", expected an array"));
    }
    return v;
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

Result<Milvus1xSegment> ParseSegment(const Reader& r, const Json& j, const std::string& path,
                                     const Milvus1xTable& table) {
  if (!j.is_object()) return r.Bad(path, StrCat("is ", j.type_name(), ", expected an object"));
  const std::string p = path + ".";
  Milvus1xSegment s;
  ASSIGN_OR_RETURN(s.segment_id, r.String(j, p, "segment", true));
  if (s.segment_id.empty()) return r.Bad(p + "segment", "is empty");
  ASSIGN_OR_RETURN(s.rows, r.Int(j, p, "rows", true, 0, 0, kI64Max));
  ASSIGN_OR_RETURN(s.file_size, r.Int(j, p, "fileSize", false, 0, 0, kI64Max));
  ASSIGN_OR_RETURN(const int64_t type, r.Int(j, p, "fileType", false, kFileRaw, kI32Min, kI32Max));
  if (type != kFileRaw && type != kFileToIndex && type != kFileBackup) {
    return r.Bad(p + "fileType", StrCat("is ", type, "; expected 1 (RAW), 2 (TO_INDEX) or 7 (BACKUP)"));
  }
  s.file_type = static_cast<int32_t>(type);
  // The Go tool repeats the collection and dim in every segment; they must agree.
  ASSIGN_OR_RETURN(const std::string collection, r.String(j, p, "collection", false, table.table_id));
  if (collection != table.table_id) {
    return r.Bad(p + "collection", StrCat("is '", collection, "' inside collection '",
                                           table.table_id, "'"));
  }
  ASSIGN_OR_RETURN(const int64_t dim, r.Int(j, p, "dim", false, table.dimension, 0, kI64Max));
  if (dim != table.dimension) {
    return r.Bad(p + "dim", StrCat("is ", dim, " inside collection '", table.table_id,
                                   "' of dim ", table.dimension));
  }
  return s;
}

Result<Milvus1xTable> ParseTable(const Reader& r, const Json& j, const std::string& path) {
  if (!j.is_object()) return r.Bad(path, StrCat("is ", j.type_name(), ", expected an object"));
  const std::string p = path + ".";
  Milvus1xTable t;
  ASSIGN_OR_RETURN(t.table_id, r.String(j, p, "collection", true));
  if (t.table_id.empty()) return r.Bad(p + "collection", "is empty");
  ASSIGN_OR_RETURN(const int64_t metric, r.Int(j, p, "metric", true, 1, kI32Min, kI32Max));
  t.metric_type = static_cast<int32_t>(metric);
  ASSIGN_OR_RETURN(t.dimension, r.Int(j, p, "dim", true, 0, 1, kI64Max));
  ASSIGN_OR_RETURN(t.owner_table, r.String(j, p, "owner", false));
  ASSIGN_OR_RETURN(t.partition_tag, r.String(j, p, "partition", false));
  ASSIGN_OR_RETURN(const int64_t engine, r.Int(j, p, "engine", false, 1, kI32Min, kI32Max));
  t.engine_type = static_cast<int32_t>(engine);
  ASSIGN_OR_RETURN(t.index_params, r.String(j, p, "indexParams", false));

  ASSIGN_OR_RETURN(const Json* segments, r.Array(j, p, "segments", false));
  std::set<std::string> seen;
  if (segments != nullptr) {
    for (size_t i = 0; i < segments->size(); ++i) {
      const std::string sp = StrCat(p, "segments[", i, "]");
      ASSIGN_OR_RETURN(Milvus1xSegment s, ParseSegment(r, (*segments)[i], sp, t));
      if (!seen.insert(s.segment_id).second) {
        return r.Bad(sp + ".segment", StrCat("'", s.segment_id, "' is listed twice"));
      }
      t.rows += s.rows;
      t.segments.push_back(std::move(s));
    }
  }
  ASSIGN_OR_RETURN(const Json* index_only, r.Array(j, p, "indexOnlySegments", false));
  if (index_only != nullptr) {
    for (size_t i = 0; i < index_only->size(); ++i) {
      const Json& v = (*index_only)[i];
      if (!v.is_string()) {
        return r.Bad(StrCat(p, "indexOnlySegments[", i, "]"),
                     StrCat("is ", v.type_name(), ", expected a string"));
      }
      // Index-only means no raw file: a segment also listed with its raw data contradicts it.
      if (seen.count(v.get<std::string>())) {
        return r.Bad(StrCat(p, "indexOnlySegments[", i, "]"),
                     StrCat("'", v.get<std::string>(), "' is also listed in segments, with raw "
                            "data; the file contradicts itself"));
      }
      t.index_only_segments.push_back(v.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(const int64_t rows, r.Int(j, p, "rows", false, t.rows, 0, kI64Max));
  if (rows != t.rows) {
    // The entry contradicts itself (a stale or hand-edited file): which number is true
    // cannot be told from here, and reading the segments alone would lose the difference
    // without a word, since the count check compares against the same segments.
    const std::string what =
        t.owner_table.empty()
            ? StrCat("collection '", t.table_id, "'")
            : StrCat("partition '", t.partition_tag.empty() ? t.table_id : t.partition_tag,
                     "' (table '", t.table_id, "') of collection '", t.owner_table, "'");
    return r.Bad(p + "rows", StrCat("of ", what, " is ", rows, " but its segments hold ",
                                    t.rows, " rows (", t.segments.size(),
                                    " segment(s)); the file contradicts itself: export the "
                                    "meta again from the 1.x meta store"));
  }
  return t;
}

}  // namespace

Result<Milvus1xMeta> ParseMetaJson(std::string_view text, const std::string& name) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::DataLossError(StrCat(name, ": not valid JSON: ", e.what()));
  }
  const Reader r(name);
  if (!doc.is_object()) return r.Bad("the document", StrCat("is ", doc.type_name(), ", expected an object"));
  ASSIGN_OR_RETURN(const Json* collections, r.Array(doc, "", "collections", true));

  Milvus1xMeta meta;
  std::set<std::string> names;
  std::set<std::string> collection_names;  // entries that are collections, seen so far
  std::string current_collection;          // the last collection: partitions follow it
  for (size_t i = 0; i < collections->size(); ++i) {
    const std::string path = StrCat("collections[", i, "]");
    ASSIGN_OR_RETURN(Milvus1xTable t, ParseTable(r, (*collections)[i], path));
    if (!names.insert(t.table_id).second) {
      return r.Bad(path + ".collection", StrCat("'", t.table_id, "' is listed twice"));
    }
    if (t.owner_table.empty()) {
      if (!t.partition_tag.empty()) {
        return r.Bad(path + ".partition", "is set without an owner");
      }
      current_collection = t.table_id;
    } else if (t.owner_table != current_collection) {
      // A partition follows its owner, as BuildMilvus1xMeta orders them.
      return r.Bad(path + ".owner", StrCat("'", t.owner_table,
                                           "' is not the collection listed right before its partitions"));
    }
    meta.rows += t.rows;
    meta.tables.push_back(std::move(t));
  }
  if (meta.tables.empty()) return absl::InvalidArgumentError(StrCat(name, ": no live collection"));
  ASSIGN_OR_RETURN(const int64_t rows, r.Int(doc, "", "rows", false, meta.rows, 0, kI64Max));
  if (rows != meta.rows) {
    return r.Bad("rows", StrCat("is ", rows, " but the collections and partitions listed hold ",
                                meta.rows, " rows; the file contradicts itself: export the "
                                "meta again from the 1.x meta store"));
  }
  return meta;
}

std::string FormatMetaJson(const Milvus1xMeta& meta) {
  OrderedJson collections = OrderedJson::array();
  for (const Milvus1xTable& t : meta.tables) {
    OrderedJson segments = OrderedJson::array();
    for (const Milvus1xSegment& s : t.segments) {
      segments.push_back(OrderedJson{{"collection", t.table_id},
                                     {"segment", s.segment_id},
                                     {"dim", t.dimension},
                                     {"rows", s.rows},
                                     {"fileSize", s.file_size},
                                     {"fileType", s.file_type}});
    }
    OrderedJson c{{"collection", t.table_id},
                  {"metric", t.metric_type},
                  {"rows", t.rows},
                  {"dim", t.dimension},
                  {"segments", std::move(segments)}};
    if (!t.owner_table.empty()) {
      c["owner"] = t.owner_table;
      c["partition"] = t.partition_tag;
    }
    c["engine"] = t.engine_type;
    c["indexParams"] = t.index_params;
    c["indexOnlySegments"] = t.index_only_segments;
    collections.push_back(std::move(c));
  }
  OrderedJson doc{{"collections", std::move(collections)}, {"rows", meta.rows}};
  // Invalid UTF-8 in a tag or name (SQLite stores any bytes) becomes U+FFFD rather than an
  // exception; gRPC-created 1.x names are valid UTF-8.
  return doc.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

}  // namespace mm
