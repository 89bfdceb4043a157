// Order-independent digests of rows, for verify: each row hashes to 128 bits from its
// partition and its fields' canonical values; a set of rows is the sum (mod 2^128) of its
// rows' hashes plus their count. A sum, not a xor, so a row present twice does not cancel.
// Stateless functions and plain values; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/schema.h"

namespace mm {

struct Hash128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Hash128&) const = default;
  std::string Hex() const;  // 32 hex digits, hi first
};

// A 128-bit hash of `size` bytes (a MurmurHash3 x64-128 construction); `seed` separates uses.
Hash128 HashBytes(const void* data, size_t size, uint64_t seed = 0);

// The digest of a multiset of rows: equal multisets give equal digests whatever the order.
struct RowDigest {
  Hash128 sum;
  int64_t rows = 0;
  void Add(const Hash128& h);
  void Merge(const RowDigest& other);
  bool operator==(const RowDigest&) const = default;
};

// Hashes of one field's value, by value as verify compares it:
//   Bool, Int8..Int64  -> the integer value (an Int32 5 equals an Int64 5);
//   Float, Double      -> the value as a double (-0 equals +0);
//   VarChar            -> the bytes;
//   JSON, Array        -> the parsed value, printed with object keys sorted and integral
//                         numbers as integers (key order and 1 vs 1.0 do not matter);
//                         text that does not parse is hashed as bytes;
//   vectors (dense, binary, float16, bfloat16, sparse) -> the bytes, so bit for bit.
// REQUIRES: `column` is of `field`, row < column.num_rows().
Hash128 HashFieldValue(const FieldSchema& field, const Column& column, int64_t row);

// Canonical JSON text of `text` (sorted keys, integral numbers as integers); `text` itself
// when it does not parse.
std::string CanonicalJson(std::string_view text);

// The hash of a whole row: its partition ("_default" for the collection's own) and the hashes
// of its fields in schema order, as HashFieldValue gives them in `field_hashes`.
Hash128 HashRow(std::string_view partition, const std::vector<Hash128>& field_hashes);

// The name of the partition a batch's rows go to: "_default" for "".
std::string_view PartitionName(std::string_view partition);

}  // namespace mm
