#include "formats/json_rows_part_writer.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <nlohmann/json.hpp>

namespace mm {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Length of the UTF-8 sequence starting at s[i], or 0 when it is malformed (overlong forms,
// surrogates and code points past U+10FFFF included), as RFC 3629 defines well-formed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

template <typename T>
void AppendInteger(T v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// The one float magnitude whose shortest text ("7.038531e-26"), read as a double and then
// narrowed to float, is one ulp off (found by checking every float). Milvus 2.3.5 reads
// float fields straight to float32 and gets it right, but readers that go through double
// (Python, nlohmann, possibly other Milvus versions) do not; 8 digits are safe both ways.
constexpr uint32_t kDoubleRoundingFloatBits = 0x15ae43fd;

template <typename T>
Status AppendFloating(T v, std::string* out) {
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(
        StrCat(std::isnan(v) ? "NaN" : "an infinity", " has no JSON form"));
  }
  if (v == 0 && std::signbit(v)) {
    // "-0" reads back as the integer 0 in parsers that keep integers apart (nlohmann,
    // Python's json); "-0.0" is a float everywhere.
    out->append("-0.0");
    return absl::OkStatus();
  }
  char buf[32];
  std::to_chars_result r;
  if constexpr (std::is_same_v<T, float>) {
    if ((std::bit_cast<uint32_t>(v) & 0x7fffffffu) == kDoubleRoundingFloatBits) {
      r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 8);
      out->append(buf, r.ptr);
      return absl::OkStatus();
    }
  }
  r = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip
  out->append(buf, r.ptr);
  return absl::OkStatus();
}

size_t FirstNonSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

bool SupportedType(DataType t) {
  switch (t) {
    case DataType::kBool:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kVarChar:
    case DataType::kJson:
    case DataType::kArray:
    case DataType::kFloatVector:
    case DataType::kBinaryVector: return true;
    default: return false;
  }
}

// Checks one parsed Array element against the field's element type.
Status CheckArrayElement(const FieldSchema& field, const nlohmann::json& e) {
  auto want = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        StrCat("array element ", e.dump(), " is not ", what, " (element type ",
               DataTypeName(field.element_type), ")"));
  };
  auto in_range = [&](int64_t lo, int64_t hi) {
    if (e.is_number_unsigned()) return e.get<uint64_t>() <= static_cast<uint64_t>(hi);
    if (e.is_number_integer()) {
      int64_t v = e.get<int64_t>();
      return v >= lo && v <= hi;
    }
    return false;
  };
  switch (field.element_type) {
    case DataType::kBool:
      if (!e.is_boolean()) return want("a boolean");
      break;
    case DataType::kInt8:
      if (!in_range(INT8_MIN, INT8_MAX)) return want("an Int8");
      break;
    case DataType::kInt16:
      if (!in_range(INT16_MIN, INT16_MAX)) return want("an Int16");
      break;
    case DataType::kInt32:
      if (!in_range(INT32_MIN, INT32_MAX)) return want("an Int32");
      break;
    case DataType::kInt64:
      if (!in_range(INT64_MIN, INT64_MAX)) return want("an Int64");
      break;
    case DataType::kFloat:
    case DataType::kDouble:
      if (!e.is_number()) return want("a number");
      break;
    case DataType::kVarChar:
      if (!e.is_string()) return want("a string");
      if (field.max_length > 0 &&
          static_cast<int64_t>(e.get_ref<const std::string&>().size()) > field.max_length) {
        return want(StrCat("a string of at most ", field.max_length, " bytes"));
      }
      break;
    default:
      return absl::UnimplementedError(StrCat("arrays of ", DataTypeName(field.element_type),
                                             " have no JSON-rows form"));
  }
  return absl::OkStatus();
}

// Appends the value of `field` in row `i` of `col`. Errors name neither field nor row: the
// caller adds both.
Status AppendValue(const FieldSchema& field, const Column& col, int64_t i, std::string* out) {
  switch (field.type) {
    case DataType::kBool:
      out->append(col.scalar<uint8_t>(i) != 0 ? "true" : "false");
      return absl::OkStatus();
    case DataType::kInt8: AppendInteger(col.scalar<int8_t>(i), out); return absl::OkStatus();
    case DataType::kInt16: AppendInteger(col.scalar<int16_t>(i), out); return absl::OkStatus();
    case DataType::kInt32: AppendInteger(col.scalar<int32_t>(i), out); return absl::OkStatus();
    case DataType::kInt64: AppendInteger(col.scalar<int64_t>(i), out); return absl::OkStatus();
    case DataType::kFloat: return AppendFloating(col.scalar<float>(i), out);
    case DataType::kDouble: return AppendFloating(col.scalar<double>(i), out);
    case DataType::kVarChar: {
      std::string_view v = col.value(i);
      if (field.max_length > 0 && static_cast<int64_t>(v.size()) > field.max_length) {
        return absl::InvalidArgumentError(StrCat("string of ", v.size(),
                                                 " bytes is longer than max_length ",
                                                 field.max_length));
      }
      return AppendJsonString(v, out);
    }
    case DataType::kJson: {
      std::string_view v = col.value(i);
      if (!nlohmann::json::accept(v.begin(), v.end())) {
        return absl::InvalidArgumentError("value is not valid JSON text");
      }
      // Milvus takes an object or a string holding JSON text. An object it decodes and
      // encodes again (2.3.5 sorts its keys); a string it keeps as it is, as Insert does,
      // so every value goes in as a string.
      return AppendJsonString(v, out);
    }
    case DataType::kArray: {
      std::string_view v = col.value(i);
      nlohmann::json parsed = nlohmann::json::parse(v.begin(), v.end(), nullptr,
                                                    /*allow_exceptions=*/false);
      if (parsed.is_discarded() || !parsed.is_array()) {
        return absl::InvalidArgumentError("value is not a JSON array");
      }
      if (field.max_capacity > 0 && static_cast<int64_t>(parsed.size()) > field.max_capacity) {
        return absl::InvalidArgumentError(StrCat("array of ", parsed.size(),
                                                 " elements exceeds max_capacity ",
                                                 field.max_capacity));
      }
      for (const auto& e : parsed) RETURN_IF_ERROR(CheckArrayElement(field, e));
      out->append(v.substr(FirstNonSpace(v)));
      return absl::OkStatus();
    }
    case DataType::kFloatVector: {
      const uint8_t* p = col.row(i);
      out->push_back('[');
      for (int64_t k = 0; k < field.dim; ++k) {
        float f;
        std::memcpy(&f, p + k * sizeof(float), sizeof(float));
        if (k > 0) out->push_back(',');
        if (Status st = AppendFloating(f, out); !st.ok()) {
          return absl::InvalidArgumentError(
              StrCat("component ", k, ": ", std::string(st.message())));
        }
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case DataType::kBinaryVector: {
      const uint8_t* p = col.row(i);
      out->push_back('[');
      for (int64_t k = 0; k < field.dim / 8; ++k) {
        if (k > 0) out->push_back(',');
        AppendInteger(static_cast<unsigned>(p[k]), out);
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(
          StrCat("type ", DataTypeName(field.type), " has no JSON-rows form"));
  }
}

}  // namespace

Status AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        return absl::InvalidArgumentError(
            StrCat("invalid UTF-8 at byte ", i, " (0x", kHexDigits[c >> 4], kHexDigits[c & 15],
                   ")"));
      }
      out->append(s.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHexDigits[c >> 4]);
          out->push_back(kHexDigits[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
  return absl::OkStatus();
}

Status AppendJsonNumber(float v, std::string* out) { return AppendFloating(v, out); }
Status AppendJsonNumber(double v, std::string* out) { return AppendFloating(v, out); }

Result<std::unique_ptr<JsonRowsPartWriter>> JsonRowsPartWriter::Open(Storage* storage,
                                                                     std::string dir,
                                                                     SchemaPtr schema,
                                                                     std::string partition) {
  for (const auto& field : schema->fields) {
    if (field.primary_key && field.auto_id) continue;
    if (!SupportedType(field.type)) {
      return absl::UnimplementedError(StrCat("field '", field.name, "' of type ",
                                             DataTypeName(field.type),
                                             " has no JSON-rows bulk-import form"));
    }
  }
  std::unique_ptr<JsonRowsPartWriter> w(
      new JsonRowsPartWriter(storage, std::move(dir), std::move(schema), std::move(partition)));
  ASSIGN_OR_RETURN(w->file_, storage->OpenWrite(w->FilePath()));
  w->chunk_.reserve(kChunkBytes + kChunkBytes / 4);
  w->chunk_ = "{\"rows\":[";
  return w;
}

JsonRowsPartWriter::~JsonRowsPartWriter() {
  if (!done_) Abandon();
}

Status JsonRowsPartWriter::EncodeRow(const Batch& batch, int64_t i) {
  const size_t start = chunk_.size();
  chunk_.append(rows_ == 0 ? "\n{" : ",\n{");
  bool first = true;
  for (size_t c = 0; c < schema_->fields.size(); ++c) {
    const FieldSchema& field = schema_->fields[c];
    if (field.primary_key && field.auto_id) continue;
    if (!first) chunk_.push_back(',');
    first = false;
    // Field names are Milvus identifiers ([A-Za-z_][A-Za-z0-9_]*, or "$meta"): no escaping
    // needed, but it is cheap and keeps the file valid whatever the schema says.
    AppendJsonString(field.name, &chunk_).IgnoreError();
    chunk_.push_back(':');
    Status st = AppendValue(field, batch.column(c), i, &chunk_);
    if (!st.ok()) {
      chunk_.resize(start);
      std::string key;
      if (const FieldSchema* pk = schema_->PrimaryKey(); pk != nullptr && !pk->auto_id) {
        const Column& pk_col = batch.column(static_cast<size_t>(schema_->FieldIndex(pk->name)));
        key = pk->type == DataType::kInt64
                  ? StrCat(", ", pk->name, "=", pk_col.scalar<int64_t>(i))
                  : StrCat(", ", pk->name, "='", pk_col.value(i), "'");
      }
      return Status(st.code(), StrCat(FilePath(), ": field '", field.name, "' of row ", rows_,
                                      key, ": ", std::string(st.message())));
    }
  }
  chunk_.push_back('}');
  ++rows_;
  return absl::OkStatus();
}

Status JsonRowsPartWriter::FlushChunk() {
  if (chunk_.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(file_->Append(chunk_));
  flushed_ += chunk_.size();
  chunk_.clear();
  return absl::OkStatus();
}

Status JsonRowsPartWriter::Add(const Batch& batch, int64_t offset, int64_t count) {
  RETURN_IF_ERROR(error_);
  if (done_) return absl::FailedPreconditionError(StrCat(FilePath(), ": Add after Finish"));
  if (offset < 0 || count < 0 || offset + count > batch.num_rows()) {
    return absl::InternalError(StrCat(dir_, ": rows [", offset, ", ", offset + count,
                                      ") outside a batch of ", batch.num_rows()));
  }
  for (int64_t i = offset; i < offset + count; ++i) {
    Status st = EncodeRow(batch, i);
    if (st.ok() && chunk_.size() >= kChunkBytes) st = FlushChunk();
    if (!st.ok()) {
      error_ = st;
      return st;
    }
  }
  return absl::OkStatus();
}

Result<PartInfo> JsonRowsPartWriter::Finish() {
  RETURN_IF_ERROR(error_);
  if (done_) return absl::FailedPreconditionError(StrCat(FilePath(), ": Finish twice"));
  chunk_.append("\n]}\n");
  Status st = FlushChunk();
  const uint64_t size = file_->Size();
  if (st.ok()) st = file_->Close();
  if (!st.ok()) {
    Abandon();
    return st;
  }
  done_ = true;
  PartInfo info;
  info.dir = dir_;
  info.files = {FilePath()};
  info.file_bytes = {size};
  info.partition = partition_;
  info.rows = rows_;
  info.bytes = flushed_;
  return info;
}

void JsonRowsPartWriter::Abandon() {
  if (file_) file_->Abort().IgnoreError();
  chunk_.clear();
  chunk_.shrink_to_fit();
  // A file committed by a failed Finish is removed too: a part is all or nothing.
  storage_->DeletePrefix(dir_ + "/").IgnoreError();
  done_ = true;
}

}  // namespace mm
