#include "sources/mongodb/mongo_doc_decoder.h"

#include <bson/bson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace mm {
namespace {

using Why = std::string;  // why a value does not fit; empty when it does

constexpr uint8_t kVectorSubtype = 9;
constexpr uint8_t kDtypeInt8 = 0x03;
constexpr uint8_t kDtypeFloat32 = 0x27;
constexpr uint8_t kDtypePackedBit = 0x10;

template <typename T>
std::string Bytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

const char* BsonTypeName(bson_type_t t) {
  switch (t) {
    case BSON_TYPE_DOUBLE: return "a double";
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_DOCUMENT: return "a document";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_BINARY: return "binary data";
    case BSON_TYPE_OID: return "an ObjectId";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_DATE_TIME: return "a date";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_INT32: return "an int32";
    case BSON_TYPE_INT64: return "an int64";
    case BSON_TYPE_DECIMAL128: return "a decimal128";
    case BSON_TYPE_TIMESTAMP: return "a timestamp";
    case BSON_TYPE_REGEX: return "a regular expression";
    default: return "a value of another BSON type";
  }
}

std::string DoubleText(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, r.ptr);
  // JSON readers take 1e+20 and 5 alike; keep integral doubles recognisable as numbers.
  return s;
}

std::string OidHex(const bson_oid_t* oid) {
  char hex[25];
  bson_oid_to_string(oid, hex);
  return std::string(hex, 24);
}

bool DecimalToDouble(const bson_iter_t* it, double* out) {
  bson_decimal128_t dec;
  if (!bson_iter_decimal128(it, &dec)) return false;
  char text[BSON_DECIMAL128_STRING];
  bson_decimal128_to_string(&dec, text);
  char* end = nullptr;
  *out = std::strtod(text, &end);
  return end != text && *end == '\0' && std::isfinite(*out);
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out->append(esc);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// The bytes of a Binary subtype 9 value, checked: dtype, padding, length. `bits` is set
// to the element count.
Why VectorBinary(const bson_iter_t* it, uint8_t* dtype, const uint8_t** data, size_t* size) {
  bson_subtype_t subtype;
  uint32_t len = 0;
  const uint8_t* bin = nullptr;
  bson_iter_binary(it, &subtype, &len, &bin);
  if (subtype != kVectorSubtype) {
    return StrCat("is binary data of subtype ", static_cast<int>(subtype),
                  ", expected a vector (subtype 9) or an array of numbers");
  }
  if (len < 2) return "is a vector (Binary subtype 9) without its 2-byte header";
  *dtype = bin[0];
  const uint8_t padding = bin[1];
  *data = bin + 2;
  *size = len - 2;
  if (*dtype != kDtypeFloat32 && *dtype != kDtypeInt8 && *dtype != kDtypePackedBit) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", *dtype);
    return StrCat("is a vector of dtype ", hex,
                  ", expected FLOAT32 (0x27), INT8 (0x03) or PACKED_BIT (0x10)");
  }
  if (*dtype != kDtypePackedBit && padding != 0) {
    return StrCat("is a vector with padding ", static_cast<int>(padding),
                  " for a dtype that has none");
  }
  if (*dtype == kDtypePackedBit && padding != 0) {
    return StrCat("is a PACKED_BIT vector of ", *size * 8 - padding,
                  " bits (padding ", static_cast<int>(padding),
                  "); a Milvus BinaryVector holds a multiple of 8 bits");
  }
  if (*dtype == kDtypeFloat32 && *size % 4 != 0) {
    return StrCat("is a FLOAT32 vector of ", *size, " bytes, not a multiple of 4");
  }
  return "";
}

// `it`'s value as JSON text. Binary vectors become arrays of numbers, other binary data a
// base64 string; ObjectIds hex strings; dates epoch milliseconds; decimal128 a double.
Why ToJson(const bson_iter_t* it, std::string* out);

Why DocToJson(const bson_iter_t* parent, bool array, std::string* out) {
  bson_iter_t child;
  if (!bson_iter_recurse(parent, &child)) return "is a corrupt embedded document";
  out->push_back(array ? '[' : '{');
  bool first = true;
  while (bson_iter_next(&child)) {
    if (!first) out->push_back(',');
    first = false;
    if (!array) {
      AppendJsonString(bson_iter_key(&child), out);
      out->push_back(':');
    }
    Why why = ToJson(&child, out);
    if (!why.empty()) return array ? why : StrCat("key '", bson_iter_key(&child), "' ", why);
  }
  out->push_back(array ? ']' : '}');
  return "";
}

Why ToJson(const bson_iter_t* it, std::string* out) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(it);
      if (!std::isfinite(d)) return StrCat("holds ", d, ", which JSON cannot hold");
      out->append(DoubleText(d));
      return "";
    }
    case BSON_TYPE_DECIMAL128: {
      double d = 0;
      if (!DecimalToDouble(it, &d)) return "holds a decimal128 that is not a finite number";
      out->append(DoubleText(d));
      return "";
    }
    case BSON_TYPE_INT32: out->append(std::to_string(bson_iter_int32(it))); return "";
    case BSON_TYPE_INT64: out->append(std::to_string(bson_iter_int64(it))); return "";
    case BSON_TYPE_BOOL: out->append(bson_iter_bool(it) ? "true" : "false"); return "";
    case BSON_TYPE_NULL: out->append("null"); return "";
    case BSON_TYPE_UTF8: {
      uint32_t len = 0;
      const char* s = bson_iter_utf8(it, &len);
      AppendJsonString(std::string_view(s, len), out);
      return "";
    }
    case BSON_TYPE_OID: AppendJsonString(OidHex(bson_iter_oid(it)), out); return "";
    case BSON_TYPE_DATE_TIME: out->append(std::to_string(bson_iter_date_time(it))); return "";
    case BSON_TYPE_DOCUMENT: return DocToJson(it, false, out);
    case BSON_TYPE_ARRAY: return DocToJson(it, true, out);
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t len = 0;
      const uint8_t* bin = nullptr;
      bson_iter_binary(it, &subtype, &len, &bin);
      if (subtype == kVectorSubtype) {
        uint8_t dtype = 0;
        const uint8_t* data = nullptr;
        size_t size = 0;
        Why why = VectorBinary(it, &dtype, &data, &size);
        if (!why.empty() && dtype != kDtypePackedBit) return why;
        out->push_back('[');
        const size_t n = dtype == kDtypeFloat32 ? size / 4 : size;
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          if (dtype == kDtypeFloat32) {
            float f;
            std::memcpy(&f, data + 4 * i, 4);
            if (!std::isfinite(f)) return "holds a vector with a NaN or infinity";
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, f);
            out->append(buf, r.ptr);
          } else if (dtype == kDtypeInt8) {
            out->append(std::to_string(static_cast<int8_t>(data[i])));
          } else {
            out->append(std::to_string(data[i]));  // packed bits: the bytes
          }
        }
        out->push_back(']');
        return "";
      }
      static const char* kB64 =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string b64;
      for (uint32_t i = 0; i < len; i += 3) {
        uint32_t v = static_cast<uint32_t>(bin[i]) << 16;
        if (i + 1 < len) v |= static_cast<uint32_t>(bin[i + 1]) << 8;
        if (i + 2 < len) v |= bin[i + 2];
        b64.push_back(kB64[(v >> 18) & 63]);
        b64.push_back(kB64[(v >> 12) & 63]);
        b64.push_back(i + 1 < len ? kB64[(v >> 6) & 63] : '=');
        b64.push_back(i + 2 < len ? kB64[v & 63] : '=');
      }
      AppendJsonString(b64, out);
      return "";
    }
    default:
      return StrCat("holds ", BsonTypeName(bson_iter_type(it)), ", which has no JSON form here");
  }
}

// An integer from int32, int64, an integral double, or (for Int64) a date.
bool ToInt64(const bson_iter_t* it, bool date_ok, int64_t* out) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32: *out = bson_iter_int32(it); return true;
    case BSON_TYPE_INT64: *out = bson_iter_int64(it); return true;
    case BSON_TYPE_DATE_TIME:
      if (!date_ok) return false;
      *out = bson_iter_date_time(it);
      return true;
    case BSON_TYPE_DOUBLE: {
      const double d = bson_iter_double(it);
      if (std::trunc(d) != d || std::abs(d) > 9.2e18) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::string MongoIdText(const bson_t* value_doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, value_doc) || !bson_iter_next(&it)) return "(none)";
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_OID: return OidHex(bson_iter_oid(&it));
    case BSON_TYPE_UTF8: return StrCat("'", bson_iter_utf8(&it, nullptr), "'");
    default: {
      std::string json;
      if (!ToJson(&it, &json).empty()) return BsonTypeName(bson_iter_type(&it));
      return json;
    }
  }
}

Result<MongoCollectionSchema> MapMongoSchema(const MongoConfig& config,
                                             const std::string& collection, DataType id_type,
                                             bool id_is_oid) {
  auto schema = std::make_shared<Schema>();
  schema->collection = collection;
  MongoCollectionSchema out;
  auto add_id = [&](const MongoFieldConfig* f) {
    FieldSchema pk;
    pk.name = "_id";
    pk.primary_key = true;
    pk.type = f ? f->type : id_type;
    if (pk.type == DataType::kVarChar) {
      pk.max_length = f && f->max_len > 0 ? f->max_len : id_is_oid ? 24 : 65535;
    }
    schema->fields.push_back(pk);
    out.paths.push_back("_id");
  };
  bool listed_id = false;
  for (const auto& f : config.fields) listed_id |= f.path == "_id";
  if (!listed_id) add_id(nullptr);
  for (const auto& f : config.fields) {
    if (f.path == "_id") {
      add_id(&f);
      continue;
    }
    FieldSchema field;
    field.name = f.target;
    field.type = f.type;
    field.dim = f.dims;
    if (f.type == DataType::kVarChar ||
        (f.type == DataType::kArray && f.element_type == DataType::kVarChar)) {
      field.max_length = f.max_len > 0 ? f.max_len : 65535;
    }
    field.element_type = f.element_type;
    field.max_capacity = f.max_capacity;
    schema->fields.push_back(field);
    out.paths.push_back(f.path);
  }
  if (config.dynamic_unlisted) {
    schema->enable_dynamic_field = true;
    FieldSchema meta;
    meta.name = kDynamicFieldName;
    meta.type = DataType::kJson;
    schema->fields.push_back(meta);
    out.paths.push_back("");
  }
  RETURN_IF_ERROR(schema->Validate());
  out.schema = std::move(schema);
  return out;
}

namespace {

// One scalar of `type` from `it` as a fixed-width column's bytes, or text for VarChar.
Why Scalar(const FieldSchema& f, DataType type, const bson_iter_t* it, bool* used_decimal,
           std::string* out) {
  const bson_type_t t = bson_iter_type(it);
  int64_t i = 0;
  switch (type) {
    case DataType::kBool:
      if (t != BSON_TYPE_BOOL) return StrCat("expected a boolean, got ", BsonTypeName(t));
      *out = Bytes<uint8_t>(bson_iter_bool(it) ? 1 : 0);
      return "";
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: {
      if (!ToInt64(it, type == DataType::kInt64, &i)) {
        return StrCat("expected an integer, got ", BsonTypeName(t));
      }
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
    case DataType::kDouble: {
      double d = 0;
      if (t == BSON_TYPE_DOUBLE) {
        d = bson_iter_double(it);
      } else if (t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64) {
        d = static_cast<double>(t == BSON_TYPE_INT32 ? bson_iter_int32(it) : bson_iter_int64(it));
      } else if (t == BSON_TYPE_DECIMAL128) {
        if (!DecimalToDouble(it, &d)) return "is a decimal128 that is not a finite number";
        *used_decimal = true;
      } else {
        return StrCat("expected a number, got ", BsonTypeName(t));
      }
      if (type == DataType::kFloat) {
        if (std::isfinite(d) && !std::isfinite(static_cast<float>(d))) {
          return StrCat(d, " does not fit Float");
        }
        *out = Bytes<float>(static_cast<float>(d));
      } else {
        *out = Bytes<double>(d);
      }
      return "";
    }
    case DataType::kVarChar:
      if (t == BSON_TYPE_UTF8) {
        uint32_t len = 0;
        const char* s = bson_iter_utf8(it, &len);
        out->assign(s, len);
      } else if (t == BSON_TYPE_OID) {
        *out = OidHex(bson_iter_oid(it));
      } else {
        return StrCat("expected a string, got ", BsonTypeName(t));
      }
      if (static_cast<int64_t>(out->size()) > f.max_length) {
        return StrCat("is ", out->size(), " bytes long, over its maxLen ", f.max_length);
      }
      return "";
    default: return StrCat("type ", DataTypeName(type), " is not a scalar");
  }
}

// An Array element's JSON from the bytes Scalar gave.
std::string ElementJson(DataType type, const std::string& bytes) {
  switch (type) {
    case DataType::kBool: return bytes[0] ? "true" : "false";
    case DataType::kInt8: return std::to_string(static_cast<int8_t>(bytes[0]));
    case DataType::kInt16: { int16_t v; std::memcpy(&v, bytes.data(), 2); return std::to_string(v); }
    case DataType::kInt32: { int32_t v; std::memcpy(&v, bytes.data(), 4); return std::to_string(v); }
    case DataType::kInt64: { int64_t v; std::memcpy(&v, bytes.data(), 8); return std::to_string(v); }
    case DataType::kFloat: {
      float v;
      std::memcpy(&v, bytes.data(), 4);
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, r.ptr);
    }
    case DataType::kDouble: { double v; std::memcpy(&v, bytes.data(), 8); return DoubleText(v); }
    default: {
      std::string out;
      AppendJsonString(bytes, &out);
      return out;
    }
  }
}

Why Value(const FieldSchema& f, const bson_iter_t* it, bool* used_decimal, std::string* out) {
  const bson_type_t t = bson_iter_type(it);
  switch (f.type) {
    case DataType::kFloatVector: {
      out->resize(static_cast<size_t>(f.dim) * sizeof(float));
      float* p = reinterpret_cast<float*>(out->data());
      if (t == BSON_TYPE_BINARY) {
        uint8_t dtype = 0;
        const uint8_t* data = nullptr;
        size_t size = 0;
        Why why = VectorBinary(it, &dtype, &data, &size);
        if (!why.empty()) return why;
        if (dtype == kDtypePackedBit) {
          return "is a PACKED_BIT vector; declare the field a BinaryVector";
        }
        const size_t n = dtype == kDtypeFloat32 ? size / 4 : size;
        if (static_cast<int64_t>(n) != f.dim) {
          return StrCat("has ", n, " dimensions, expected ", f.dim);
        }
        if (dtype == kDtypeFloat32) {
          std::memcpy(p, data, size);  // little-endian on the wire and here (x86-64, arm64)
        } else {
          for (size_t k = 0; k < n; ++k) p[k] = static_cast<float>(static_cast<int8_t>(data[k]));
        }
        return "";
      }
      if (t != BSON_TYPE_ARRAY) {
        return StrCat("expected a vector (an array of numbers or Binary subtype 9), got ",
                      BsonTypeName(t));
      }
      bson_iter_t child;
      if (!bson_iter_recurse(it, &child)) return "is a corrupt array";
      int64_t n = 0;
      while (bson_iter_next(&child)) {
        double d = 0;
        const bson_type_t ct = bson_iter_type(&child);
        if (ct == BSON_TYPE_DOUBLE) {
          d = bson_iter_double(&child);
        } else if (ct == BSON_TYPE_INT32) {
          d = bson_iter_int32(&child);
        } else if (ct == BSON_TYPE_INT64) {
          d = static_cast<double>(bson_iter_int64(&child));
        } else if (ct == BSON_TYPE_DECIMAL128 && DecimalToDouble(&child, &d)) {
          *used_decimal = true;
        } else {
          return StrCat("holds ", BsonTypeName(ct), " among its numbers (element ", n, ")");
        }
        if (n < f.dim) p[n] = static_cast<float>(d);
        ++n;
      }
      if (n != f.dim) return StrCat("has ", n, " dimensions, expected ", f.dim);
      return "";
    }
    case DataType::kBinaryVector: {
      const size_t want = static_cast<size_t>(f.dim / 8);
      out->assign(want, '\0');
      if (t == BSON_TYPE_BINARY) {
        uint8_t dtype = 0;
        const uint8_t* data = nullptr;
        size_t size = 0;
        Why why = VectorBinary(it, &dtype, &data, &size);
        if (!why.empty()) return why;
        if (dtype != kDtypePackedBit) {
          return "is a FLOAT32 or INT8 vector; declare the field a FloatVector";
        }
        if (size != want) {
          return StrCat("has ", size * 8, " bits, expected ", f.dim);
        }
        std::memcpy(out->data(), data, size);  // both pack the first bit as the MSB
        return "";
      }
      if (t != BSON_TYPE_ARRAY) {
        return StrCat("expected a bit vector (Binary subtype 9 PACKED_BIT or an array of 0/1), "
                      "got ", BsonTypeName(t));
      }
      bson_iter_t child;
      if (!bson_iter_recurse(it, &child)) return "is a corrupt array";
      int64_t n = 0;
      while (bson_iter_next(&child)) {
        int64_t v = -1;
        if (!ToInt64(&child, false, &v) || (v != 0 && v != 1)) {
          return StrCat("holds something other than 0 or 1 (element ", n, ")");
        }
        if (n < f.dim && v) (*out)[static_cast<size_t>(n / 8)] |= static_cast<char>(0x80 >> (n % 8));
        ++n;
      }
      if (n != f.dim) return StrCat("has ", n, " bits, expected ", f.dim);
      return "";
    }
    case DataType::kJson:
      out->clear();
      return ToJson(it, out);
    case DataType::kArray: {
      if (t != BSON_TYPE_ARRAY) return StrCat("expected an array, got ", BsonTypeName(t));
      bson_iter_t child;
      if (!bson_iter_recurse(it, &child)) return "is a corrupt array";
      std::string json = "[";
      int64_t n = 0;
      while (bson_iter_next(&child)) {
        std::string bytes;
        Why why = Scalar(f, f.element_type, &child, used_decimal, &bytes);
        if (!why.empty()) return StrCat("element ", n, ": ", why);
        if (n++ > 0) json += ',';
        json += ElementJson(f.element_type, bytes);
      }
      if (n > f.max_capacity) {
        return StrCat("holds ", n, " elements, over its maxCapacity ", f.max_capacity);
      }
      *out = json + "]";
      return "";
    }
    default:
      return Scalar(f, f.type, it, used_decimal, out);
  }
}

// $meta: the top-level fields of `doc` except _id and the listed paths (a dotted path
// leaves the rest of its embedded document). Objects left empty are dropped.
Why Unlisted(const bson_iter_t* parent_or_null, const bson_t* doc,
             const std::vector<std::string_view>& paths, bool top, std::string* out) {
  bson_iter_t it;
  if (parent_or_null != nullptr) {
    if (!bson_iter_recurse(parent_or_null, &it)) return "is a corrupt embedded document";
  } else if (!bson_iter_init(&it, doc)) {
    return "is a corrupt document";
  }
  out->push_back('{');
  bool first = true;
  while (bson_iter_next(&it)) {
    const std::string_view key = bson_iter_key(&it);
    if (top && key == "_id") continue;
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
    if (!inner.empty() && bson_iter_type(&it) == BSON_TYPE_DOCUMENT) {
      Why why = Unlisted(&it, nullptr, inner, false, &text);
      if (!why.empty()) return StrCat("key '", key, "' ", why);
      if (text == "{}") continue;
    } else {
      Why why = ToJson(&it, &text);
      if (!why.empty()) return StrCat("key '", key, "' ", why);
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(key, out);
    out->push_back(':');
    out->append(text);
  }
  out->push_back('}');
  return "";
}

}  // namespace

MongoDocDecoder::MongoDocDecoder(MongoCollectionSchema schema, std::string name,
                                 bool skip_invalid)
    : schema_(std::move(schema)), name_(std::move(name)), skip_invalid_(skip_invalid) {
  for (const auto& p : schema_.paths) {
    if (!p.empty()) listed_.push_back(p);
  }
  values_.resize(schema_.schema->fields.size());
}

Result<bool> MongoDocDecoder::Decode(const bson_t* doc, Batch* batch) {
  const Schema& schema = *schema_.schema;
  Why why;
  size_t bad = 0;
  bool used_decimal = false;
  for (size_t i = 0; i < schema.fields.size() && why.empty(); ++i) {
    const FieldSchema& f = schema.fields[i];
    const std::string& path = schema_.paths[i];
    bad = i;
    if (path.empty()) {  // $meta
      values_[i].clear();
      std::vector<std::string_view> paths(listed_.begin(), listed_.end());
      why = Unlisted(nullptr, doc, paths, true, &values_[i]);
      if (why.empty()) {
        // A key named like a Milvus field would be taken for that field by an import.
        bson_iter_t it;
        if (bson_iter_init(&it, doc)) {
          while (bson_iter_next(&it) && why.empty()) {
            const std::string key = bson_iter_key(&it);
            if (key != "_id" && schema.FieldIndex(key) >= 0 &&
                std::find(listed_.begin(), listed_.end(), key) == listed_.end()) {
              why = StrCat("(the dynamic field) holds '", key, "', which is also the name of "
                           "a Milvus field; list it in fields or rename one of them");
            }
          }
        }
      }
      continue;
    }
    bson_iter_t it;
    bson_iter_t value;
    const bool found = bson_iter_init(&it, doc) &&
                       (path.find('.') == std::string::npos
                            ? (bson_iter_find(&it, path.c_str()) && (value = it, true))
                            : bson_iter_find_descendant(&it, path.c_str(), &value));
    if (!found) {
      why = "is missing";
      continue;
    }
    if (bson_iter_type(&value) == BSON_TYPE_NULL && f.type != DataType::kJson) {
      why = "is null (Milvus 2.3 fields are not nullable)";
      continue;
    }
    why = Value(f, &value, &used_decimal, &values_[i]);
  }
  if (used_decimal && !warned_decimal_) {
    warned_decimal_ = true;
    spdlog::warn("mongodb: {}: a decimal128 value became a double, rounded to 53 bits (the "
                 "first in this task; no more warnings for it)", name_);
  }
  if (!why.empty()) {
    bson_iter_t it;
    std::string id = "(none)";
    if (bson_iter_init_find(&it, doc, "_id")) {
      bson_t one = BSON_INITIALIZER;
      bson_append_iter(&one, "_id", 3, &it);
      id = MongoIdText(&one);
      bson_destroy(&one);
    }
    std::string reason =
        StrCat("field '", schema_.paths[bad].empty() ? std::string("$meta") : schema_.paths[bad],
               "' ", why);
    if (!skip_invalid_) {
      return absl::InvalidArgumentError(
          StrCat("mongodb collection ", name_, ", document _id ", id, ": ", reason,
                 " (set source.mongodb.invalidDocs: skip to leave such documents out)"));
    }
    // The dump counts it with the rows it leaves out itself, and reports them together.
    batch->AddSkip({StrCat("document _id ", id), std::move(reason)});
    return false;
  }
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    Column& col = batch->column(i);
    if (col.width() > 0) {
      col.AppendFixed(values_[i].data(), 1);
    } else {
      col.AppendValue(values_[i]);
    }
  }
  return true;
}

}  // namespace mm
