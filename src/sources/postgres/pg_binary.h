// Decoders for PostgreSQL's binary wire format (COPY ... (FORMAT binary) and binary results),
// for the column types the PostgreSQL source maps to Milvus: integers, floats, booleans,
// timestamps and dates, jsonb, one-dimensional arrays of scalars, and pgvector's types.
// pgvector's binary send format (pgvector src/vector.c, halfvec.c, sparsevec.c; see
// docs/postgres.md):
//   vector    int16 dim, int16 unused (0), dim x float4
//   halfvec   int16 dim, int16 unused (0), dim x uint16 (IEEE half bits)
//   sparsevec int32 dim, int32 nnz, int32 unused (0), nnz x int32 index (0-based,
//             ascending), nnz x float4 value
//   bit(n)    (PostgreSQL's varbit) int32 bit length, ceil(n/8) bytes, first bit in the
//             high bit of the first byte (Milvus' BinaryVector layout)
// Every number is big-endian. Decoders check the sizes they read against the value's length
// and return DataLoss naming what did not fit; they never read past `value`.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mm {

inline uint16_t PgLoad16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t PgLoad32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
inline uint64_t PgLoad64(const uint8_t* p) {
  return uint64_t{PgLoad32(p)} << 32 | PgLoad32(p + 4);
}
inline float PgLoadFloat4(const uint8_t* p) {
  uint32_t u = PgLoad32(p);
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline double PgLoadFloat8(const uint8_t* p) {
  uint64_t u = PgLoad64(p);
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01 (UTC).
inline constexpr int64_t kPgEpochUnixMicros = 946684800LL * 1000000;

// A pgvector `vector` of `dim` components into `out` (dim floats, host order).
// DataLoss when the value's dim is not `dim` or its length does not match.
Status DecodePgVector(std::string_view value, int64_t dim, float* out);
// A `halfvec` of `dim` components: the half bits into `out` (dim uint16, host order).
Status DecodePgHalfvec(std::string_view value, int64_t dim, uint16_t* out);
// A `halfvec` widened to floats (exactly: every half is a float).
Status DecodePgHalfvecAsFloat(std::string_view value, int64_t dim, float* out);
// A `bit(dim)` into `out` (dim / 8 bytes; `dim` a multiple of 8).
Status DecodePgBit(std::string_view value, int64_t dim, uint8_t* out);
// A timestamptz or timestamp: microseconds since 1970-01-01 UTC. OutOfRange for
// 'infinity' and '-infinity', which have no epoch value.
Result<int64_t> DecodePgTimestampMicros(std::string_view value);
// A date: microseconds since 1970-01-01 UTC of its midnight. OutOfRange for the infinities.
Result<int64_t> DecodePgDateMicros(std::string_view value);
// A jsonb: its JSON text (after the format's version byte 1).
Result<std::string_view> DecodePgJsonb(std::string_view value);

// A one-dimensional array of int2, int4, int8, float4, float8, bool, text or varchar as
// JSON array text (Milvus' Array rows): numbers as the shortest text that reads back to the
// same value. `elements` receives the element count. InvalidArgument for a NULL element, a
// non-finite float or more than one dimension (the row cannot go into Milvus); DataLoss for
// bytes that do not parse.
Status DecodePgArrayToJson(std::string_view value, std::string* json, int64_t* elements);

// Half-precision bits to float, exactly.
float HalfToFloat(uint16_t h);

}  // namespace mm
