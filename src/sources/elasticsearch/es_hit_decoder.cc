#include "sources/elasticsearch/es_hit_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <simdjson.h>

#include "sources/elasticsearch/es_error.h"

namespace mm {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Why a value does not fit; empty when it does.
using Why = std::string;

template <typename T>
std::string Bytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

// An integer from a JSON value as ES would coerce it for a numeric field: integers,
// integral floats, and numeric strings.
bool ToInt64(element e, int64_t* out) {
  switch (e.type()) {
    case element_type::INT64: *out = int64_t(e); return true;
    case element_type::UINT64: {
      uint64_t u = uint64_t(e);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(u);
      return true;
    }
    case element_type::DOUBLE: {
      double d = double(e);
      if (std::trunc(d) != d || std::abs(d) > 9.2e18) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    case element_type::STRING: {
      std::string_view s = std::string_view(e);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && p == s.data() + s.size();
    }
    default: return false;
  }
}

bool ToDouble(element e, double* out) {
  switch (e.type()) {
    case element_type::INT64: *out = static_cast<double>(int64_t(e)); return true;
    case element_type::UINT64: *out = static_cast<double>(uint64_t(e)); return true;
    case element_type::DOUBLE: *out = double(e); return true;
    case element_type::STRING: {
      std::string_view s = std::string_view(e);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && p == s.data() + s.size();
    }
    default: return false;
  }
}

// The JSON text of a scalar for a VarChar: strings as they are, numbers and booleans as
// ES would index them into a keyword.
bool ToText(element e, std::string* out) {
  switch (e.type()) {
    case element_type::STRING: *out = std::string(std::string_view(e)); return true;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
    case element_type::BOOL: *out = simdjson::minify(e); return true;
    default: return false;
  }
}

const char* TypeName(element e) {
  switch (e.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// One scalar of `type` from `e`, as the bytes a fixed-width column holds, or as text for
// VarChar. Returns why it does not fit.
Why Scalar(const FieldSchema& f, DataType type, element e, std::string* out) {
  int64_t i = 0;
  double d = 0;
  switch (type) {
    case DataType::kBool:
      if (e.type() == element_type::BOOL) {
        *out = Bytes<uint8_t>(bool(e) ? 1 : 0);
        return "";
      }
      if (e.type() == element_type::STRING &&
          (std::string_view(e) == "true" || std::string_view(e) == "false")) {
        *out = Bytes<uint8_t>(std::string_view(e) == "true" ? 1 : 0);
        return "";
      }
      return StrCat("expected a boolean, got ", TypeName(e));
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: {
      if (!ToInt64(e, &i)) return StrCat("expected an integer, got ", TypeName(e));
      const int bits = type == DataType::kInt8 ? 8 : type == DataType::kInt16 ? 16
                       : type == DataType::kInt32 ? 32 : 64;
      if (bits < 64) {
        const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
        if (i > hi || i < -hi - 1) return StrCat(i, " does not fit ", DataTypeName(type));
      }
      if (bits == 8) *out = Bytes<int8_t>(static_cast<int8_t>(i));
      if (bits == 16) *out = Bytes<int16_t>(static_cast<int16_t>(i));
      if (bits == 32) *out = Bytes<int32_t>(static_cast<int32_t>(i));
      if (bits == 64) *out = Bytes<int64_t>(i);
      return "";
    }
    case DataType::kFloat:
      if (!ToDouble(e, &d)) return StrCat("expected a number, got ", TypeName(e));
      // Beyond float's range it would become an infinity, which Milvus refuses.
      if (!std::isfinite(static_cast<float>(d))) return StrCat(d, " does not fit Float");
      *out = Bytes<float>(static_cast<float>(d));
      return "";
    case DataType::kDouble:
      if (!ToDouble(e, &d)) return StrCat("expected a number, got ", TypeName(e));
      *out = Bytes<double>(d);
      return "";
    case DataType::kVarChar:
      if (!ToText(e, out)) return StrCat("expected a string, got ", TypeName(e));
      if (static_cast<int64_t>(out->size()) > f.max_length) {
        return StrCat("is ", out->size(), " bytes long, over its maxLen ", f.max_length);
      }
      return "";
    default: return StrCat("type ", DataTypeName(type), " is not read from Elasticsearch");
  }
}

// The JSON text of one scalar for an Array's element list.
std::string ElementJson(DataType type, const std::string& bytes) {
  switch (type) {
    case DataType::kBool: return bytes[0] ? "true" : "false";
    case DataType::kInt8: return std::to_string(static_cast<int8_t>(bytes[0]));
    case DataType::kInt16: { int16_t v; std::memcpy(&v, bytes.data(), 2); return std::to_string(v); }
    case DataType::kInt32: { int32_t v; std::memcpy(&v, bytes.data(), 4); return std::to_string(v); }
    case DataType::kInt64: { int64_t v; std::memcpy(&v, bytes.data(), 8); return std::to_string(v); }
    case DataType::kFloat:
    case DataType::kDouble: {
      char buf[64];
      std::to_chars_result r;
      if (type == DataType::kFloat) {
        float v;
        std::memcpy(&v, bytes.data(), 4);
        r = std::to_chars(buf, buf + sizeof buf, v);
      } else {
        double v;
        std::memcpy(&v, bytes.data(), 8);
        r = std::to_chars(buf, buf + sizeof buf, v);
      }
      return std::string(buf, r.ptr);
    }
    default: {  // VarChar: a JSON string
      std::string out = "\"";
      for (char c : bytes) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          out += esc;
        } else {
          out += c;
        }
      }
      return out + "\"";
    }
  }
}

Why Value(const FieldSchema& f, element e, std::string* out) {
  switch (f.type) {
    case DataType::kFloatVector: {
      if (e.type() != element_type::ARRAY) return StrCat("expected a vector, got ", TypeName(e));
      simdjson::dom::array a = e;
      // `fields` may wrap the vector in an array of one.
      if (a.size() == 1 && (*a.begin()).type() == element_type::ARRAY) a = *a.begin();
      if (static_cast<int64_t>(a.size()) != f.dim) {
        return StrCat("has ", a.size(), " dimensions, expected ", f.dim);
      }
      out->resize(static_cast<size_t>(f.dim) * sizeof(float));
      float* p = reinterpret_cast<float*>(out->data());
      for (element x : a) {
        double d;
        if (!ToDouble(x, &d)) return StrCat("holds ", TypeName(x), " among its numbers");
        *p++ = static_cast<float>(d);
      }
      return "";
    }
    case DataType::kBinaryVector: {
      // ES bit vectors and Milvus binary vectors both pack 8 dimensions a byte: the bytes
      // are copied as they are. _source holds what was indexed, a hex string or an array of
      // dims/8 signed bytes; `fields` may wrap it in an array of one.
      const size_t want = static_cast<size_t>(f.dim / 8);
      if (e.type() == element_type::ARRAY) {
        simdjson::dom::array a = e;
        if (a.size() == 1 && ((*a.begin()).type() == element_type::ARRAY ||
                              (*a.begin()).type() == element_type::STRING)) {
          e = *a.begin();
        }
      }
      out->resize(want);
      if (e.type() == element_type::STRING) {
        const std::string_view hex = e;
        if (hex.size() != 2 * want) {
          return StrCat("is a hex string of ", hex.size(), " digits, expected ", 2 * want,
                        " for ", f.dim, " bits");
        }
        auto nibble = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        for (size_t k = 0; k < want; ++k) {
          const int hi = nibble(hex[2 * k]), lo = nibble(hex[2 * k + 1]);
          if (hi < 0 || lo < 0) return StrCat("is not a hex string (at digit ", 2 * k, ")");
          (*out)[k] = static_cast<char>(hi << 4 | lo);
        }
        return "";
      }
      if (e.type() != element_type::ARRAY) {
        return StrCat("expected a bit vector (hex string or byte array), got ", TypeName(e));
      }
      simdjson::dom::array a = e;
      if (a.size() != want) {
        return StrCat("has ", a.size(), " bytes, expected ", want, " for ", f.dim, " bits");
      }
      size_t k = 0;
      for (element x : a) {
        int64_t v = 0;
        if (!ToInt64(x, &v) || v < -128 || v > 127) {
          return StrCat("holds ", x.type() == element_type::STRING ? "a string" : TypeName(x),
                        " among its bytes; expected integers from -128 to 127");
        }
        (*out)[k++] = static_cast<char>(static_cast<int8_t>(v));
      }
      return "";
    }
    case DataType::kJson:
      *out = simdjson::minify(e);
      return "";
    case DataType::kArray: {
      std::string json = "[";
      int64_t n = 0;
      auto add = [&](element x) -> Why {
        std::string bytes;
        Why why = Scalar(f, f.element_type, x, &bytes);
        if (!why.empty()) return StrCat("element ", n, ": ", why);
        if (n++ > 0) json += ',';
        json += ElementJson(f.element_type, bytes);
        return "";
      };
      if (e.type() == element_type::ARRAY) {
        for (element x : simdjson::dom::array(e)) {
          Why why = add(x);
          if (!why.empty()) return why;
        }
      } else {
        Why why = add(e);  // ES treats a single value as an array of one
        if (!why.empty()) return why;
      }
      if (n > f.max_capacity) {
        return StrCat("holds ", n, " elements, over its maxCapacity ", f.max_capacity);
      }
      *out = json + "]";
      return "";
    }
    default:
      if (e.type() == element_type::ARRAY) {
        simdjson::dom::array a = e;
        // `fields` and docvalues give every value as an array; one value is that value.
        if (a.size() == 1) return Scalar(f, f.type, *a.begin(), out);
        return StrCat("holds an array of ", a.size(), " values; declare it isArray: true");
      }
      return Scalar(f, f.type, e, out);
  }
}

// `_source` lookup of a dotted path: nested objects first, then a literal dotted key.
bool Lookup(element source, const std::string& path, element* out) {
  if (source.type() != element_type::OBJECT) return false;
  simdjson::dom::object obj = source;
  if (obj[path].get(*out) == simdjson::SUCCESS) return true;
  size_t dot = path.find('.');
  while (dot != std::string::npos) {
    element child;
    if (obj[path.substr(0, dot)].get(child) == simdjson::SUCCESS &&
        Lookup(child, path.substr(dot + 1), out)) {
      return true;
    }
    dot = path.find('.', dot + 1);
  }
  return false;
}

void AppendJsonKey(std::string_view key, std::string* out) {
  out->push_back('"');
  for (char c : key) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->append("\":");
}

// `object` as JSON text without the (dotted) `paths`: a path names a key, or walks into an
// object ("user.name" leaves user's other keys). Objects left empty are dropped.
void AppendUnlisted(simdjson::dom::object object, const std::vector<std::string_view>& paths,
                    std::string* out) {
  out->push_back('{');
  bool first = true;
  for (auto [key, value] : object) {
    std::vector<std::string_view> inner;
    bool listed = false;
    for (std::string_view p : paths) {
      if (p == key) listed = true;
      if (p.size() > key.size() && p.substr(0, key.size()) == key && p[key.size()] == '.') {
        inner.push_back(p.substr(key.size() + 1));
      }
    }
    if (listed) continue;
    std::string text;
    if (!inner.empty() && value.type() == element_type::OBJECT) {
      AppendUnlisted(value, inner, &text);
      if (text == "{}") continue;
    } else {
      text = simdjson::minify(value);
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonKey(key, out);
    out->append(text);
  }
  out->push_back('}');
}

// For $meta: the JSON of `source` minus the `listed` ES fields. Returns why it cannot be.
Why Unlisted(element source, const std::vector<std::string>& listed,
             const std::set<std::string>& field_names, std::string* out) {
  out->clear();
  if (source.type() != element_type::OBJECT) {
    *out = "{}";
    return "";
  }
  std::vector<std::string_view> paths(listed.begin(), listed.end());
  AppendUnlisted(source, paths, out);
  // A key named like a Milvus field would be taken for that field by an import.
  for (auto [key, value] : simdjson::dom::object(source)) {
    if (field_names.count(std::string(key)) &&
        std::find(listed.begin(), listed.end(), key) == listed.end()) {
      return StrCat("(the dynamic field) holds '", key, "', which is also the name of a "
                    "Milvus field; list it in meta.fields or rename one of them");
    }
  }
  return "";
}

}  // namespace

struct EsHitDecoder::Parser {
  simdjson::dom::parser parser;
};

EsHitDecoder::EsHitDecoder(EsCollectionSchema schema, std::string index, bool skip_invalid)
    : schema_(std::move(schema)),
      index_(std::move(index)),
      skip_invalid_(skip_invalid),
      parser_(std::make_unique<Parser>()) {
  for (size_t i = 0; i < schema_.sources.size(); ++i) {
    const EsFieldSource& src = schema_.sources[i];
    if (src.from_id || src.unlisted) continue;
    listed_.push_back(src.es_name);
    field_names_.insert(schema_.schema->fields[i].name);
  }
}

EsHitDecoder::~EsHitDecoder() = default;

namespace {

// A page some shards did not answer holds only part of its documents: never take it.
// NotFound when every failure is a lost search context (the caller may reopen one).
Status CheckShards(element root, const std::string& index) {
  int64_t failed = 0;
  if (root["_shards"]["failed"].get(failed) != simdjson::SUCCESS || failed == 0) {
    return absl::OkStatus();
  }
  int64_t total = 0;
  if (root["_shards"]["total"].get(total) != simdjson::SUCCESS) total = -1;
  bool all_lost = true;
  std::string first;
  simdjson::dom::array failures;
  if (root["_shards"]["failures"].get(failures) == simdjson::SUCCESS) {
    for (element f : failures) {
      std::string_view type, reason;
      if (f["reason"]["type"].get(type) != simdjson::SUCCESS) type = "?";
      if (f["reason"]["reason"].get(reason) != simdjson::SUCCESS) reason = "";
      all_lost &= IsLostSearchContext(type, reason);
      if (first.empty()) first = StrCat(type, ": ", reason);
    }
  }
  std::string message = StrCat("elasticsearch index '", index, "': ", failed, " of ", total,
                               " shards failed to answer a page (", first, ")");
  return all_lost ? absl::NotFoundError(message) : absl::UnavailableError(message);
}

}  // namespace

Result<EsPage> EsHitDecoder::Decode(const std::string& body, Batch* batch) {
  element root;
  if (auto err = parser_->parser.parse(body).get(root); err) {
    return absl::DataLossError(StrCat("elasticsearch index '", index_,
                                      "': a search response is not JSON (",
                                      simdjson::error_message(err), ")"));
  }
  RETURN_IF_ERROR(CheckShards(root, index_));
  EsPage page;
  std::string_view text;
  if (root["_scroll_id"].get(text) == simdjson::SUCCESS) page.scroll_id = std::string(text);
  if (root["pit_id"].get(text) == simdjson::SUCCESS) page.pit_id = std::string(text);
  simdjson::dom::array hits;
  if (root["hits"]["hits"].get(hits) != simdjson::SUCCESS) {
    return absl::DataLossError(StrCat("elasticsearch index '", index_,
                                      "': the response has no hits.hits array"));
  }
  const Schema& schema = *schema_.schema;
  std::vector<std::string> values(schema.fields.size());
  for (element hit : hits) {
    ++page.hits;
    std::string_view id;
    if (hit["_id"].get(id) != simdjson::SUCCESS) {
      return absl::DataLossError(StrCat("elasticsearch index '", index_, "': a hit has no _id"));
    }
    simdjson::dom::array sort;
    if (hit["sort"].get(sort) == simdjson::SUCCESS) page.last_sort = simdjson::minify(sort);
    element source;
    element fields;
    const bool has_source = hit["_source"].get(source) == simdjson::SUCCESS;
    const bool has_fields = hit["fields"].get(fields) == simdjson::SUCCESS;

    Why why;
    size_t bad = 0;
    for (size_t i = 0; i < schema.fields.size() && why.empty(); ++i) {
      const FieldSchema& f = schema.fields[i];
      const EsFieldSource& src = schema_.sources[i];
      bad = i;
      if (src.from_id) {
        if (f.type == DataType::kInt64) {
          int64_t v;
          auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
          if (ec != std::errc() || p != id.data() + id.size()) {
            why = "is not an integer, but _id is declared long";
          } else {
            values[i] = Bytes<int64_t>(v);
          }
        } else if (static_cast<int64_t>(id.size()) > f.max_length) {
          why = StrCat("is ", id.size(), " bytes long, over its maxLen ", f.max_length);
        } else {
          values[i] = std::string(id);
        }
        continue;
      }
      if (src.unlisted) {
        why = Unlisted(has_source ? source : element(), listed_, field_names_, &values[i]);
        continue;
      }
      element value;
      // Dates come as epoch_millis docvalues; others from _source, else from `fields`.
      bool found = src.es_type != "date" && has_source && Lookup(source, src.es_name, &value);
      if (!found && has_fields) {
        simdjson::dom::object fo = fields;
        found = fo[src.es_name].get(value) == simdjson::SUCCESS;
      }
      if (!found || value.type() == element_type::NULL_VALUE) {
        why = "is missing";
        continue;
      }
      why = Value(f, value, &values[i]);
    }
    if (!why.empty()) {
      std::string reason = StrCat("field '", schema_.sources[bad].es_name, "' ", why);
      if (!skip_invalid_) {
        return absl::InvalidArgumentError(
            StrCat("elasticsearch index '", index_, "', document _id '", id, "': ", reason,
                   " (set dumper.invalidRows: skip to leave such documents out)"));
      }
      // The dump counts it with the rows it leaves out itself, and reports them together.
      batch->AddSkip({StrCat("document _id '", id, "'"), std::move(reason)});
      ++page.skipped;
      continue;
    }
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      Column& col = batch->column(i);
      if (col.width() > 0) {
        col.AppendFixed(values[i].data(), 1);
      } else {
        col.AppendValue(values[i]);
      }
    }
    ++page.rows;
  }
  return page;
}

}  // namespace mm
