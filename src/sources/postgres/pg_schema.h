// How the columns of a PostgreSQL table (or of a `query:`) map to Milvus fields (README
// "PostgreSQL / pgvector", the table of types): which SQL expression the COPY selects for
// each and how its binary value is decoded into the batch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/schema.h"
#include "core/status.h"

namespace mm {

// How a selected value's binary form becomes a batch value.
enum class PgDecode {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kInt2AsInt64,  // a smallint or integer primary key: Milvus keys are Int64 or VarChar
  kInt4AsInt64,
  kFloat4,
  kFloat8,
  kText,       // text, varchar, bpchar; uuid and numeric-as-varchar are selected as ::text
  kJson,       // json: its text
  kJsonb,      // jsonb: version byte 1, then its text
  kTimestamp,  // timestamptz / timestamp: Int64 microseconds since 1970-01-01 UTC
  kDate,       // date: Int64 microseconds since 1970-01-01 UTC of its midnight
  kVector,
  kHalfvec,         // Float16Vector
  kHalfvecAsFloat,  // FloatVector, each half widened exactly
  kBit,
  kArray,  // JSON array text
};

// A column as the catalog describes it.
struct PgColumnType {
  std::string name;          // column name
  std::string type_name;     // pg_type.typname: "int8", "vector", "_float4"
  std::string element_type;  // typname of an array's element ("float4"), "" otherwise
  int32_t typmod = -1;       // atttypmod: vector(n) -> n, varchar(n) -> n + 4, -1 when none
  std::string display;       // format_type(): "vector(768)", "character varying(32)"
  bool not_null = false;
};

struct PgMapOptions {
  bool numeric_as_varchar = false;  // numeric -> VarChar instead of Double
  bool halfvec_as_float16 = false;  // halfvec -> Float16Vector instead of FloatVector
};

// One column as the source reads it.
struct PgField {
  std::string column;        // PostgreSQL column name
  std::string display_type;  // for messages: "vector(768)"
  std::string select;        // expression in the COPY's select list
  PgDecode decode = PgDecode::kText;
  FieldSchema field;         // name = the column name; sizes below may still be open
  // max_length (VarChar) or max_capacity (Array) is taken from the longest value found.
  bool size_from_data = false;
  // A vector declared without a dimension: the dimension is read from the rows.
  bool dim_from_data = false;
  bool lossy_note = false;   // numeric -> Double: warned about
};

// `"name"`, with embedded quotes doubled: a PostgreSQL identifier.
std::string PgQuoteIdent(std::string_view name);

// Maps column `c`. InvalidArgument naming the column, its type and the way around it when
// PostgreSQL's type has no Milvus counterpart (or the target cannot hold it: sparsevec).
Result<PgField> MapPgColumn(const PgColumnType& c, const PgMapOptions& options);

// Milvus metric for a pgvector index operator class ("vector_cosine_ops" -> "COSINE"); ""
// when the class has none in Milvus (vector_l1_ops) or is not pgvector's.
std::string MetricOfPgOpclass(std::string_view opclass);

}  // namespace mm
