#include "verify/pk_range.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace mm {
namespace {

// A count over a sorted list of pks, as Milvus' count(*) with a range expression answers.
template <typename T, typename Key>
int64_t CountIn(const std::vector<T>& sorted, const std::optional<PkBound>& lo,
                const std::optional<PkBound>& hi, Key key) {
  auto b = lo ? std::lower_bound(sorted.begin(), sorted.end(), key(*lo)) : sorted.begin();
  auto e = hi ? std::lower_bound(sorted.begin(), sorted.end(), key(*hi)) : sorted.end();
  return e > b ? e - b : 0;
}

TEST(PkRangeTest, Int64RangesCoverEveryPkOnceAndHoldAtMostMaxRows) {
  std::vector<int64_t> pks;
  for (int64_t i = 0; i < 10000; ++i) pks.push_back(i * 3 - 5000);
  pks.push_back(std::numeric_limits<int64_t>::min());
  pks.push_back(std::numeric_limits<int64_t>::max());
  std::sort(pks.begin(), pks.end());
  int queries = 0;
  std::vector<int64_t> counts;
  auto ranges = SplitByCount(
      false, 700,
      [&](const std::optional<PkBound>& lo, const std::optional<PkBound>& hi) -> Result<int64_t> {
        ++queries;
        return CountIn(pks, lo, hi, [](const PkBound& b) { return b.i; });
      },
      &counts);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(counts.size(), ranges->size());
  std::vector<int64_t> per_range(ranges->size(), 0);
  for (int64_t pk : pks) ++per_range[ranges->Find(pk)];
  EXPECT_EQ(per_range, counts);
  for (int64_t n : counts) EXPECT_LE(n, 700);
  EXPECT_GE(ranges->size(), 15u);
  EXPECT_LT(queries, 200);  // halving from the whole int64 domain stays cheap
  for (size_t i = 1; i < ranges->bounds().size(); ++i) {
    EXPECT_LT(ranges->bounds()[i - 1].i, ranges->bounds()[i].i);
  }
}

TEST(PkRangeTest, OnePkHeldByManyRowsStaysOneRange) {
  std::vector<int64_t> pks(50, 7);
  auto ranges = SplitByCount(
      false, 10,
      [&](const std::optional<PkBound>& lo, const std::optional<PkBound>& hi) -> Result<int64_t> {
        return CountIn(pks, lo, hi, [](const PkBound& b) { return b.i; });
      });
  ASSERT_TRUE(ranges.ok());
  EXPECT_EQ(ranges->Expr("id", ranges->Find(7)), "id >= 7 && id < 8");
}

TEST(PkRangeTest, CountErrorsComeBack) {
  auto ranges = SplitByCount(false, 10, [](const auto&, const auto&) -> Result<int64_t> {
    return absl::UnavailableError("milvus down");
  });
  EXPECT_EQ(ranges.status().code(), absl::StatusCode::kUnavailable);
}

TEST(PkRangeTest, ExpressionsOfInt64Ranges) {
  PkRanges r(false);
  EXPECT_EQ(r.Expr("id", 0), "");
  r.Append({.i = -5});
  r.Append({.i = 9});
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.Expr("id", 0), "id < -5");
  EXPECT_EQ(r.Expr("id", 1), "id >= -5 && id < 9");
  EXPECT_EQ(r.Expr("id", 2), "id >= 9");
  EXPECT_EQ(r.Find(-6), 0u);
  EXPECT_EQ(r.Find(-5), 1u);
  EXPECT_EQ(r.Find(8), 1u);
  EXPECT_EQ(r.Find(9), 2u);
  EXPECT_EQ(r.Describe(1), "[-5, 9)");
}

TEST(PkRangeTest, VarCharLiteralsAreQuoted) {
  EXPECT_EQ(QuoteExprString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteExprString(std::string("x\ny", 3)), "\"x\\u000ay\"");
  PkRanges r(true);
  r.Append({.s = "m"});
  EXPECT_EQ(r.Expr("name", 1), "name >= \"m\"");
  EXPECT_EQ(r.Find("l~~~"), 0u);
  EXPECT_EQ(r.Find("m"), 1u);
  EXPECT_EQ(r.Find(""), 0u);
}

bool ValidUtf8NoNul(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    const int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(PkRangeTest, VarCharMidBoundsLieStrictlyBetweenAndAreValidUtf8) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "b"}, {"a", "b"}, {"a", "a\x02"}, {"abc", "abd"}, {"doc-0001", "doc-0002"},
      {"z", "\xe4\xb8\xad"}, {"\xe4\xb8\xad", "\xe4\xb8\xae"}, {"a\x7f", "b"}};
  for (const auto& [lo, hi] : cases) {
    auto mid = MidBound(true, PkBound{.s = lo}, PkBound{.s = hi});
    ASSERT_TRUE(mid.has_value()) << lo << " .. " << hi;
    EXPECT_LT(lo, mid->s);
    EXPECT_LT(mid->s, hi);
    EXPECT_TRUE(ValidUtf8NoNul(mid->s)) << mid->s;
  }
  auto open = MidBound(true, std::nullopt, std::nullopt);
  ASSERT_TRUE(open.has_value());
  EXPECT_TRUE(ValidUtf8NoNul(open->s));
  auto above = MidBound(true, PkBound{.s = "\xf4\x8f\xbf\xbf"}, std::nullopt);  // U+10FFFF
  ASSERT_TRUE(above.has_value());
  EXPECT_LT(std::string("\xf4\x8f\xbf\xbf"), above->s);
  // Nothing lies between "a" and "a\x01" in NUL-free strings: no bound.
  EXPECT_FALSE(MidBound(true, PkBound{.s = "a"}, PkBound{.s = "a\x01"}).has_value());
  EXPECT_FALSE(MidBound(false, PkBound{.i = 4}, PkBound{.i = 5}).has_value());
  EXPECT_EQ(MidBound(false, PkBound{.i = 4}, PkBound{.i = 6})->i, 5);
}

TEST(PkRangeTest, VarCharRangesSplitStringPks) {
  std::vector<std::string> pks;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) pks.push_back("doc-" + std::to_string(rng() % 1000000));
  for (int i = 0; i < 500; ++i) pks.push_back("\xe6\x96\x87" + std::to_string(i));
  std::sort(pks.begin(), pks.end());
  std::vector<int64_t> counts;
  auto ranges = SplitByCount(
      true, 300,
      [&](const std::optional<PkBound>& lo, const std::optional<PkBound>& hi) -> Result<int64_t> {
        return CountIn(pks, lo, hi, [](const PkBound& b) { return b.s; });
      },
      &counts);
  ASSERT_TRUE(ranges.ok());
  std::vector<int64_t> per_range(ranges->size(), 0);
  for (const auto& pk : pks) ++per_range[ranges->Find(pk)];
  EXPECT_EQ(per_range, counts);
  for (int64_t n : counts) EXPECT_LE(n, 300);
  for (const auto& b : ranges->bounds()) EXPECT_TRUE(ValidUtf8NoNul(b.s));
}

}  // namespace
}  // namespace mm
