#include "sources/postgres/pg_binary.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "formats/json_rows_part_writer.h"

namespace mm {
namespace {

// PostgreSQL type oids of the array elements we decode (pg_type.dat; fixed across versions).
constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kVarcharOid = 1043;

Status Short(std::string_view what, size_t want, size_t got) {
  return absl::DataLossError(
      StrCat(what, ": expected ", want, " bytes, the value has ", got));
}

Status CheckVectorHeader(std::string_view value, int64_t dim, size_t width,
                         std::string_view what) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (value.size() < 4) return Short(what, 4, value.size());
  const int64_t got = static_cast<int16_t>(PgLoad16(p));
  if (got != dim) {
    return absl::DataLossError(StrCat(what, " of ", got, " dimensions, expected ", dim));
  }
  const size_t want = 4 + static_cast<size_t>(dim) * width;
  if (value.size() != want) return Short(what, want, value.size());
  return absl::OkStatus();
}

template <typename T>
void AppendShortest(T v, std::string* out) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

}  // namespace

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000 | (mant << 13);  // infinity or NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise it (every subnormal half is a normal float).
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    bits = sign | static_cast<uint32_t>(112 - e) << 23 | (mant & 0x3ff) << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

Status DecodePgVector(std::string_view value, int64_t dim, float* out) {
  RETURN_IF_ERROR(CheckVectorHeader(value, dim, 4, "vector"));
  const auto* p = reinterpret_cast<const uint8_t*>(value.data()) + 4;
  for (int64_t i = 0; i < dim; ++i) out[i] = PgLoadFloat4(p + 4 * i);
  return absl::OkStatus();
}

Status DecodePgHalfvec(std::string_view value, int64_t dim, uint16_t* out) {
  RETURN_IF_ERROR(CheckVectorHeader(value, dim, 2, "halfvec"));
  const auto* p = reinterpret_cast<const uint8_t*>(value.data()) + 4;
  for (int64_t i = 0; i < dim; ++i) out[i] = PgLoad16(p + 2 * i);
  return absl::OkStatus();
}

Status DecodePgHalfvecAsFloat(std::string_view value, int64_t dim, float* out) {
  RETURN_IF_ERROR(CheckVectorHeader(value, dim, 2, "halfvec"));
  const auto* p = reinterpret_cast<const uint8_t*>(value.data()) + 4;
  for (int64_t i = 0; i < dim; ++i) out[i] = HalfToFloat(PgLoad16(p + 2 * i));
  return absl::OkStatus();
}

Status DecodePgBit(std::string_view value, int64_t dim, uint8_t* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (value.size() < 4) return Short("bit", 4, value.size());
  const int64_t bits = static_cast<int32_t>(PgLoad32(p));
  if (bits != dim) return absl::DataLossError(StrCat("bit string of ", bits, " bits, expected ", dim));
  const size_t want = 4 + static_cast<size_t>((dim + 7) / 8);
  if (value.size() != want) return Short("bit", want, value.size());
  std::memcpy(out, p + 4, static_cast<size_t>(dim / 8));
  return absl::OkStatus();
}

Result<int64_t> DecodePgTimestampMicros(std::string_view value) {
  if (value.size() != 8) return Short("timestamp", 8, value.size());
  const auto v = static_cast<int64_t>(PgLoad64(reinterpret_cast<const uint8_t*>(value.data())));
  if (v == std::numeric_limits<int64_t>::max() || v == std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError("timestamp is infinite");
  }
  if (v > std::numeric_limits<int64_t>::max() - kPgEpochUnixMicros) {
    return absl::OutOfRangeError("timestamp is past the Int64 microsecond range");
  }
  return v + kPgEpochUnixMicros;
}

Result<int64_t> DecodePgDateMicros(std::string_view value) {
  if (value.size() != 4) return Short("date", 4, value.size());
  const auto days = static_cast<int32_t>(PgLoad32(reinterpret_cast<const uint8_t*>(value.data())));
  if (days == std::numeric_limits<int32_t>::max() || days == std::numeric_limits<int32_t>::min()) {
    return absl::OutOfRangeError("date is infinite");
  }
  // Any finite date (at most 5874897 AD) fits: 2^31 days are ~1.9e17 microseconds.
  return int64_t{days} * 86400LL * 1000000 + kPgEpochUnixMicros;
}

Result<std::string_view> DecodePgJsonb(std::string_view value) {
  if (value.empty() || value[0] != 1) {
    return absl::DataLossError("jsonb: expected format version 1");
  }
  return value.substr(1);
}

Status DecodePgArrayToJson(std::string_view value, std::string* json, int64_t* elements) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  const size_t n = value.size();
  if (n < 12) return Short("array header", 12, n);
  const int32_t ndim = static_cast<int32_t>(PgLoad32(p));
  const uint32_t elem = PgLoad32(p + 8);
  json->clear();
  *elements = 0;
  if (ndim == 0) {
    json->append("[]");
    return absl::OkStatus();
  }
  if (ndim != 1) {
    return absl::InvalidArgumentError(
        StrCat("array of ", ndim, " dimensions; Milvus arrays have one"));
  }
  if (n < 20) return Short("array header", 20, n);
  const int32_t count = static_cast<int32_t>(PgLoad32(p + 12));
  if (count < 0) return absl::DataLossError(StrCat("array of ", count, " elements"));
  size_t off = 20;
  json->push_back('[');
  for (int32_t i = 0; i < count; ++i) {
    if (off + 4 > n) return Short("array element length", off + 4, n);
    const int32_t len = static_cast<int32_t>(PgLoad32(p + off));
    off += 4;
    if (len < 0) return absl::InvalidArgumentError(StrCat("array element ", i, " is NULL"));
    if (off + static_cast<size_t>(len) > n) return Short("array element", off + len, n);
    const uint8_t* e = p + off;
    const std::string_view bytes(value.data() + off, static_cast<size_t>(len));
    off += static_cast<size_t>(len);
    if (i > 0) json->push_back(',');
    auto want = [&](int32_t size) -> Status {
      if (len != size) return Short(StrCat("array element ", i), static_cast<size_t>(size), len);
      return absl::OkStatus();
    };
    switch (elem) {
      case kBoolOid:
        RETURN_IF_ERROR(want(1));
        json->append(e[0] ? "true" : "false");
        break;
      case kInt2Oid:
        RETURN_IF_ERROR(want(2));
        AppendShortest(static_cast<int16_t>(PgLoad16(e)), json);
        break;
      case kInt4Oid:
        RETURN_IF_ERROR(want(4));
        AppendShortest(static_cast<int32_t>(PgLoad32(e)), json);
        break;
      case kInt8Oid:
        RETURN_IF_ERROR(want(8));
        AppendShortest(static_cast<int64_t>(PgLoad64(e)), json);
        break;
      case kFloat4Oid: {
        RETURN_IF_ERROR(want(4));
        const float f = PgLoadFloat4(e);
        if (!std::isfinite(f)) {
          return absl::InvalidArgumentError(StrCat("array element ", i, " is not finite"));
        }
        AppendShortest(f, json);
        break;
      }
      case kFloat8Oid: {
        RETURN_IF_ERROR(want(8));
        const double d = PgLoadFloat8(e);
        if (!std::isfinite(d)) {
          return absl::InvalidArgumentError(StrCat("array element ", i, " is not finite"));
        }
        AppendShortest(d, json);
        break;
      }
      case kTextOid:
      case kVarcharOid:
      case kBpcharOid:
        RETURN_IF_ERROR(AppendJsonString(bytes, json));
        break;
      default:
        return absl::DataLossError(StrCat("array of element type oid ", elem,
                                          ", which this reader does not decode"));
    }
  }
  if (off != n) return absl::DataLossError(StrCat("array: ", n - off, " bytes after the last element"));
  json->push_back(']');
  *elements = count;
  return absl::OkStatus();
}

}  // namespace mm
