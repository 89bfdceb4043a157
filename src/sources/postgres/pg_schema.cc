#include "sources/postgres/pg_schema.h"

#include "config/config_limits.h"

namespace mm {
namespace {

Status Unsupported(const PgColumnType& c, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(
      "column '", c.name, "' has type ", c.display, ", ", why,
      ": leave it out of the table's fields, or select it cast to a supported type "
      "(text, a number, json, an array of numbers) in a `query:`"));
}

bool ArrayElementSupported(std::string_view t) {
  return t == "int2" || t == "int4" || t == "int8" || t == "float4" || t == "float8" ||
         t == "bool" || t == "text" || t == "varchar" || t == "bpchar";
}

DataType ArrayElementType(std::string_view t) {
  if (t == "int2") return DataType::kInt16;
  if (t == "int4") return DataType::kInt32;
  if (t == "int8") return DataType::kInt64;
  if (t == "float4") return DataType::kFloat;
  if (t == "float8") return DataType::kDouble;
  if (t == "bool") return DataType::kBool;
  return DataType::kVarChar;
}

}  // namespace

std::string PgQuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

Result<PgField> MapPgColumn(const PgColumnType& c, const PgMapOptions& options) {
  PgField f;
  f.column = c.name;
  f.display_type = c.display;
  f.select = PgQuoteIdent(c.name);
  f.field.name = c.name;
  const std::string& t = c.type_name;
  auto scalar = [&](DataType type, PgDecode decode) {
    f.field.type = type;
    f.decode = decode;
    return f;
  };
  if (t == "bool") return scalar(DataType::kBool, PgDecode::kBool);
  if (t == "int2") return scalar(DataType::kInt16, PgDecode::kInt2);
  if (t == "int4") return scalar(DataType::kInt32, PgDecode::kInt4);
  if (t == "int8") return scalar(DataType::kInt64, PgDecode::kInt8);
  if (t == "float4") return scalar(DataType::kFloat, PgDecode::kFloat4);
  if (t == "float8") return scalar(DataType::kDouble, PgDecode::kFloat8);
  if (t == "json") return scalar(DataType::kJson, PgDecode::kJson);
  if (t == "jsonb") return scalar(DataType::kJson, PgDecode::kJsonb);
  if (t == "timestamptz" || t == "timestamp") return scalar(DataType::kInt64, PgDecode::kTimestamp);
  if (t == "date") return scalar(DataType::kInt64, PgDecode::kDate);
  if (t == "text" || t == "varchar" || t == "bpchar" || t == "uuid" ||
      (t == "numeric" && options.numeric_as_varchar)) {
    if (t == "uuid" || t == "numeric") f.select += "::text";
    f.field.type = DataType::kVarChar;
    f.decode = PgDecode::kText;
    // varchar(n) / char(n) hold n characters, up to 4 bytes each in UTF-8; Milvus counts
    // bytes. The longest value found decides when that is smaller (and always for text).
    f.size_from_data = true;
    return f;
  }
  if (t == "numeric") {
    f.select += "::float8";
    f.lossy_note = true;
    return scalar(DataType::kDouble, PgDecode::kFloat8);
  }
  if (t == "vector" || t == "halfvec" || t == "bit") {
    f.field.dim = c.typmod > 0 ? c.typmod : 0;
    f.dim_from_data = f.field.dim == 0;
    if (t == "bit") {
      if (f.dim_from_data) return Unsupported(c, "a bit string of no declared length");
      if (f.field.dim % 8 != 0) {
        return Unsupported(c, "and a Milvus BinaryVector's dimension is a multiple of 8");
      }
      return scalar(DataType::kBinaryVector, PgDecode::kBit);
    }
    if (t == "vector") return scalar(DataType::kFloatVector, PgDecode::kVector);
    if (options.halfvec_as_float16) return scalar(DataType::kFloat16Vector, PgDecode::kHalfvec);
    return scalar(DataType::kFloatVector, PgDecode::kHalfvecAsFloat);
  }
  if (t == "sparsevec") {
    return Unsupported(c, "which becomes a SparseFloatVector, which neither Milvus 2.3 nor "
                          "the bulk-import files here can hold");
  }
  if (!c.element_type.empty()) {
    if (!ArrayElementSupported(c.element_type)) {
      return Unsupported(c, "an array of a type Milvus arrays cannot hold");
    }
    f.field.type = DataType::kArray;
    f.field.element_type = ArrayElementType(c.element_type);
    if (f.field.element_type == DataType::kVarChar) f.field.max_length = 65535;
    f.decode = PgDecode::kArray;
    f.size_from_data = true;
    return f;
  }
  return Unsupported(c, "which has no Milvus type");
}

std::string MetricOfPgOpclass(std::string_view opclass) {
  auto ends = [&](std::string_view s) {
    return opclass.size() >= s.size() && opclass.substr(opclass.size() - s.size()) == s;
  };
  if (ends("_l2_ops")) return "L2";
  if (ends("_ip_ops")) return "IP";
  if (ends("_cosine_ops")) return "COSINE";
  if (opclass == "bit_hamming_ops") return "HAMMING";
  if (opclass == "bit_jaccard_ops") return "JACCARD";
  return "";
}

}  // namespace mm
