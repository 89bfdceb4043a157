#include "sources/redis/redis_row_decoder.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "absl/strings/ascii.h"

namespace mm {
namespace {

using nlohmann::json;

template <typename T>
std::string Bytes(T v) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

template <typename Int>
std::string IntBytes(int64_t v, std::string* out) {
  if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max()) {
    return StrCat("value ", v, " is out of range for ", sizeof(Int) * 8, "-bit integers");
  }
  *out = Bytes<Int>(static_cast<Int>(v));
  return "";
}

std::string IntOf(DataType type, int64_t v, std::string* out) {
  switch (type) {
    case DataType::kInt8: return IntBytes<int8_t>(v, out);
    case DataType::kInt16: return IntBytes<int16_t>(v, out);
    case DataType::kInt32: return IntBytes<int32_t>(v, out);
    default: return IntBytes<int64_t>(v, out);
  }
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 40;
  return StrCat("'", s.substr(0, kMax), s.size() > kMax ? "...'" : "'");
}

// One hash value (text, or a blob for vectors) into the column's bytes.
std::string FromText(const RedisFieldConfig& f, const FieldSchema& fs, std::string_view text,
                     std::string* out) {
  const char* b = text.data();
  const char* e = text.data() + text.size();
  switch (f.type) {
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return StrCat("value ", Quote(text), " is not an integer");
      return IntOf(f.type, v, out);
    }
    case DataType::kFloat: {
      float v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return StrCat("value ", Quote(text), " is not a number");
      *out = Bytes(v);
      return "";
    }
    case DataType::kDouble: {
      double v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec != std::errc() || p != e) return StrCat("value ", Quote(text), " is not a number");
      *out = Bytes(v);
      return "";
    }
    case DataType::kBool: {
      const std::string lower = absl::AsciiStrToLower(std::string(text));
      if (lower == "1" || lower == "true") {
        *out = std::string(1, '\1');
      } else if (lower == "0" || lower == "false") {
        *out = std::string(1, '\0');
      } else {
        return StrCat("value ", Quote(text), " is not a boolean (1, 0, true, false)");
      }
      return "";
    }
    case DataType::kVarChar:
      if (static_cast<int64_t>(text.size()) > fs.max_length) {
        return StrCat("is ", text.size(), " bytes, over its max length ", fs.max_length);
      }
      *out = std::string(text);
      return "";
    case DataType::kJson:
      if (!json::accept(text)) return StrCat("value ", Quote(text), " is not JSON");
      *out = std::string(text);
      return "";
    default: {  // a vector blob
      const int width = RedisVectorWidth(f.vector_type);
      const size_t want = static_cast<size_t>(f.dims) * static_cast<size_t>(width);
      if (text.size() != want) {
        return StrCat("blob is ", text.size(), " bytes; expected ", want, " (", f.dims,
                      " dims x ", width, " bytes)");
      }
      if (f.vector_type == RedisVectorType::kFloat64) {
        // Milvus has no double vectors: each component is rounded to the nearest float.
        out->resize(static_cast<size_t>(f.dims) * sizeof(float));
        for (int64_t i = 0; i < f.dims; ++i) {
          double d;
          std::memcpy(&d, b + i * 8, 8);
          const float v = static_cast<float>(d);
          std::memcpy(out->data() + i * 4, &v, 4);
        }
      } else {
        out->assign(b, want);
      }
      return "";
    }
  }
}

// One JSON member into the column's bytes.
std::string FromValue(const RedisFieldConfig& f, const FieldSchema& fs, const json& v,
                      std::string* out) {
  switch (f.type) {
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
      if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}) {
        return "is out of range for 64-bit integers";
      }
      if (!v.is_number_integer()) return StrCat("is ", v.type_name(), ", not an integer");
      return IntOf(f.type, v.get<int64_t>(), out);
    case DataType::kFloat:
      if (!v.is_number()) return StrCat("is ", v.type_name(), ", not a number");
      *out = Bytes(v.get<float>());
      return "";
    case DataType::kDouble:
      if (!v.is_number()) return StrCat("is ", v.type_name(), ", not a number");
      *out = Bytes(v.get<double>());
      return "";
    case DataType::kBool:
      if (!v.is_boolean()) return StrCat("is ", v.type_name(), ", not a boolean");
      *out = std::string(1, v.get<bool>() ? '\1' : '\0');
      return "";
    case DataType::kVarChar: {
      if (!v.is_string()) return StrCat("is ", v.type_name(), ", not a string");
      const auto& s = v.get_ref<const std::string&>();
      if (static_cast<int64_t>(s.size()) > fs.max_length) {
        return StrCat("is ", s.size(), " bytes, over its max length ", fs.max_length);
      }
      *out = s;
      return "";
    }
    case DataType::kJson:
      *out = v.dump();
      return "";
    case DataType::kFloatVector: {
      if (!v.is_array()) return StrCat("is ", v.type_name(), ", not an array of numbers");
      if (static_cast<int64_t>(v.size()) != f.dims) {
        return StrCat("has ", v.size(), " components; expected ", f.dims);
      }
      out->resize(static_cast<size_t>(f.dims) * sizeof(float));
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_number()) return StrCat("component ", i, " is not a number");
        // The text's double, rounded to float: what a JSON reader in Python gets with
        // numpy.float32(value).
        const float x = static_cast<float>(v[i].get<double>());
        std::memcpy(out->data() + i * 4, &x, 4);
      }
      return "";
    }
    default:
      return StrCat("cannot be read from JSON as ", DataTypeName(f.type),
                    " (half-float vectors come from hash blobs only)");
  }
}

// The member at a dotted path of `doc`, or nullptr.
const json* Member(const json& doc, const std::string& path) {
  const json* p = &doc;
  size_t start = 0;
  while (true) {
    if (!p->is_object()) return nullptr;
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    auto it = p->find(part);
    if (it == p->end()) return nullptr;
    p = &*it;
    if (dot == std::string::npos) return p;
    start = dot + 1;
  }
}

}  // namespace

RedisRowDecoder::RedisRowDecoder(SchemaPtr schema, std::vector<RedisFieldConfig> fields,
                                 RedisKeyType key_type, std::string prefix, bool skip_invalid)
    : schema_(std::move(schema)),
      fields_(std::move(fields)),
      key_type_(key_type),
      prefix_(std::move(prefix)),
      skip_invalid_(skip_invalid) {}

std::vector<std::string> RedisRowDecoder::ReadCommand(const std::string& key) const {
  switch (key_type_) {
    case RedisKeyType::kHash: return {"HGETALL", key};
    case RedisKeyType::kJson: return {"JSON.GET", key, "."};
    default: return {"GET", key};
  }
}

std::string RedisRowDecoder::FromHash(const std::string& key, const RedisReply& reply,
                                      std::vector<std::string>* values) const {
  std::unordered_map<std::string_view, std::string_view> hash;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    hash.emplace(reply.elements[i].str, reply.elements[i + 1].str);
  }
  for (size_t i = 0; i < fields_.size(); ++i) {
    const RedisFieldConfig& f = fields_[i];
    if (f.from_key) continue;
    auto it = hash.find(f.source_name());
    if (it == hash.end()) return StrCat("field '", f.source_name(), "' is missing");
    std::string why = FromText(f, schema_->fields[i], it->second, &(*values)[i]);
    if (!why.empty()) return StrCat("field '", f.source_name(), "' ", why);
  }
  (void)key;
  return "";
}

std::string RedisRowDecoder::FromJson(const std::string& key, const std::string& text,
                                      std::vector<std::string>* values) const {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return "its value is not JSON text";
  // JSON.GET with a $ path wraps the document in an array.
  if (key_type_ == RedisKeyType::kJson && doc.is_array() && doc.size() == 1) doc = doc[0];
  if (!doc.is_object()) return StrCat("its value is a JSON ", doc.type_name(), ", not an object");
  for (size_t i = 0; i < fields_.size(); ++i) {
    const RedisFieldConfig& f = fields_[i];
    if (f.from_key) continue;
    const json* v = Member(doc, f.source_name());
    if (v == nullptr || v->is_null()) return StrCat("field '", f.source_name(), "' is missing");
    std::string why = FromValue(f, schema_->fields[i], *v, &(*values)[i]);
    if (!why.empty()) return StrCat("field '", f.source_name(), "' ", why);
  }
  (void)key;
  return "";
}

Result<RedisRowOutcome> RedisRowDecoder::Decode(const std::string& key, const RedisReply& reply,
                                                Batch* batch) {
  const std::string name = StrCat("key '", key, "'");
  const bool deleted = reply.is_nil() || (reply.is_array() && reply.elements.empty());
  if (deleted) {
    batch->AddSkip({name, "was deleted during the scan"});
    return RedisRowOutcome::kDeleted;
  }
  std::vector<std::string> values(fields_.size());
  std::string why;
  if (reply.is_error()) {
    why = StrCat("could not be read: ", reply.str);
  } else if (key_type_ == RedisKeyType::kHash) {
    why = reply.is_array() ? FromHash(key, reply, &values) : "is not a hash";
  } else {
    why = reply.is_string() ? FromJson(key, reply.str, &values) : "is not a string";
  }
  for (size_t i = 0; why.empty() && i < fields_.size(); ++i) {
    if (!fields_[i].from_key) continue;
    std::string_view pk = key;
    if (!prefix_.empty() && pk.substr(0, prefix_.size()) == prefix_) pk.remove_prefix(prefix_.size());
    why = FromText(fields_[i], schema_->fields[i], pk, &values[i]);
    if (!why.empty()) why = StrCat("the key as pk '", fields_[i].name, "' ", why);
  }
  if (!why.empty()) {
    if (!skip_invalid_) {
      return absl::InvalidArgumentError(StrCat(
          "redis ", name, ": ", why, " (set dumper.invalidRows: skip to leave such keys out)"));
    }
    batch->AddSkip({name, std::move(why)});
    return RedisRowOutcome::kInvalid;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    Column& col = batch->column(i);
    if (col.width() > 0) {
      col.AppendFixed(values[i].data(), 1);
    } else {
      col.AppendValue(values[i]);
    }
  }
  return RedisRowOutcome::kRow;
}

}  // namespace mm
