// Primary-key ranges for verify: the pk domain (Int64 values, or VarChar strings in byte
// order, which is code point order for UTF-8) cut into consecutive half-open ranges
// [bound[i-1], bound[i]), the first open below and the last open above, so every pk falls in
// exactly one. Both sides of a verify bin their rows by these ranges; Milvus is read one range
// at a time through a query expression, so no read needs an offset (2.3 refuses
// offset + limit over 16384).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mm {

// A bound of a range: an Int64 pk or a VarChar pk.
struct PkBound {
  int64_t i = 0;
  std::string s;
};

class PkRanges {
 public:
  // One range holding every pk.
  explicit PkRanges(bool varchar) : varchar_(varchar) {}

  bool varchar() const { return varchar_; }
  size_t size() const { return bounds_.size() + 1; }
  // Cuts the last range at `bound`. REQUIRES: bound greater than every bound before.
  void Append(PkBound bound) { bounds_.push_back(std::move(bound)); }
  const std::vector<PkBound>& bounds() const { return bounds_; }

  // The range holding pk `v` (Int64 ranges) / `s` (VarChar ranges).
  size_t Find(int64_t v) const;
  size_t Find(std::string_view s) const;

  // The Milvus boolean expression of range `i` on field `pk`, e.g. `id >= 5 && id < 9`,
  // `name >= "a\"b"`; "" for the one range of everything.
  std::string Expr(const std::string& pk, size_t i) const;
  // The range for people: "[5, 9)", "[-inf, \"b\")".
  std::string Describe(size_t i) const;

 private:
  bool varchar_;
  std::vector<PkBound> bounds_;
};

// A bound strictly between `lo` and `hi` (nullopt: open), or nullopt when there is none
// (adjacent Int64 values; strings with no valid UTF-8 string between them).
// Int64: the midpoint. VarChar: a short valid UTF-8 string without NUL or surrogates,
// cutting the code point space between the two in half at the first position they differ.
std::optional<PkBound> MidBound(bool varchar, const std::optional<PkBound>& lo,
                                const std::optional<PkBound>& hi);

// Cuts the pk domain into ranges of at most `max_rows` rows each, as `count` (rows with
// lo <= pk < hi, an open end as nullopt) says, by halving every range that holds more. A
// range that cannot be halved (one pk held by many rows) stays whole. `counts`, when given,
// receives each range's count. Errors from `count` are returned as they are.
Result<PkRanges> SplitByCount(
    bool varchar, int64_t max_rows,
    const std::function<Result<int64_t>(const std::optional<PkBound>& lo,
                                        const std::optional<PkBound>& hi)>& count,
    std::vector<int64_t>* counts = nullptr);

// Quotes `s` as a Milvus expression string literal ("...", with \" \\ and \uXXXX escapes).
std::string QuoteExprString(std::string_view s);

}  // namespace mm
