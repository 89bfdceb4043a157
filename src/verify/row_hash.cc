#include "verify/row_hash.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace mm {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Kinds of canonical values, so that an integer and a string of the same bytes differ.
enum Tag : uint64_t { kInt = 1, kReal = 2, kText = 3, kJson = 4, kRaw = 5, kRow = 6 };

Hash128 HashTagged(Tag tag, const void* data, size_t size) { return HashBytes(data, size, tag); }

// Integral floating-point numbers become integers; objects keep std::map's sorted keys.
void Normalize(nlohmann::json& j) {
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) {
      j = static_cast<int64_t>(d);
    }
  } else if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      j = static_cast<int64_t>(u);
    }
  } else if (j.is_structured()) {
    for (auto& v : j) Normalize(v);
  }
}

}  // namespace

std::string Hash128::Hex() const {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

Hash128 HashBytes(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h1 = seed ^ 0x9e3779b97f4a7c15ULL;
  uint64_t h2 = seed * kC2 + 0x632be59bd9b4e019ULL;
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    uint64_t k1 = Load64(p + i);
    uint64_t k2 = Load64(p + i + 8);
    k1 *= kC1;
    k1 = Rotl(k1, 31);
    k1 *= kC2;
    h1 ^= k1;
    h1 = Rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= kC2;
    k2 = Rotl(k2, 33);
    k2 *= kC1;
    h2 ^= k2;
    h2 = Rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  uint8_t tail[16] = {};
  std::memcpy(tail, p + i, size - i);
  uint64_t k1 = Load64(tail);
  uint64_t k2 = Load64(tail + 8);
  k2 *= kC2;
  k2 = Rotl(k2, 33);
  k2 *= kC1;
  h2 ^= k2;
  k1 *= kC1;
  k1 = Rotl(k1, 31);
  k1 *= kC2;
  h1 ^= k1;
  h1 ^= size;
  h2 ^= size;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  return Hash128{.lo = h1, .hi = h2};
}

void RowDigest::Add(const Hash128& h) {
  const uint64_t lo = sum.lo + h.lo;
  sum.hi += h.hi + (lo < sum.lo ? 1 : 0);
  sum.lo = lo;
  ++rows;
}

void RowDigest::Merge(const RowDigest& other) {
  const int64_t rows_before = rows;
  Add(other.sum);
  rows = rows_before + other.rows;
}

std::string CanonicalJson(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return std::string(text);
  Normalize(j);
  return j.dump();
}

Hash128 HashFieldValue(const FieldSchema& field, const Column& column, int64_t row) {
  auto integer = [](int64_t v) { return HashTagged(kInt, &v, sizeof(v)); };
  auto real = [](double v) {
    if (v == 0) v = 0;  // -0 == +0
    return HashTagged(kReal, &v, sizeof(v));
  };
  switch (field.type) {
    case DataType::kBool:
      return integer(column.row(row)[0] != 0 ? 1 : 0);
    case DataType::kInt8:
      return integer(column.scalar<int8_t>(row));
    case DataType::kInt16:
      return integer(column.scalar<int16_t>(row));
    case DataType::kInt32:
      return integer(column.scalar<int32_t>(row));
    case DataType::kInt64:
      return integer(column.scalar<int64_t>(row));
    case DataType::kFloat:
      return real(column.scalar<float>(row));
    case DataType::kDouble:
      return real(column.scalar<double>(row));
    case DataType::kVarChar: {
      std::string_view v = column.value(row);
      return HashTagged(kText, v.data(), v.size());
    }
    case DataType::kJson:
    case DataType::kArray: {
      const std::string canonical = CanonicalJson(column.value(row));
      return HashTagged(kJson, canonical.data(), canonical.size());
    }
    default:
      break;
  }
  if (column.width() > 0) return HashTagged(kRaw, column.row(row), column.width());
  std::string_view v = column.value(row);
  return HashTagged(kRaw, v.data(), v.size());
}

Hash128 HashRow(std::string_view partition, const std::vector<Hash128>& field_hashes) {
  std::string buf(partition);
  buf.push_back('\0');
  buf.append(reinterpret_cast<const char*>(field_hashes.data()),
             field_hashes.size() * sizeof(Hash128));
  return HashTagged(kRow, buf.data(), buf.size());
}

std::string_view PartitionName(std::string_view partition) {
  return partition.empty() ? std::string_view("_default") : partition;
}

}  // namespace mm
