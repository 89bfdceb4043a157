#include "verify/pk_range.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace mm {
namespace {

constexpr int64_t kMaxCodePoint = 0x10FFFF;

// Code points of valid UTF-8 `s`; bytes that are not valid UTF-8 become their byte value, which
// keeps the order of anything Milvus accepted (it accepts only valid UTF-8).
std::vector<int64_t> CodePoints(std::string_view s) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    int64_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(int64_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Usable(int64_t cp) { return cp >= 1 && cp <= kMaxCodePoint && (cp < 0xD800 || cp > 0xDFFF); }

// A code point sequence s with a < s < b (b: nullopt = above everything), or nullopt.
std::optional<std::vector<int64_t>> MidCodePoints(const std::vector<int64_t>& a,
                                                  const std::optional<std::vector<int64_t>>& b,
                                                  int depth) {
  if (depth > 64) return std::nullopt;
  size_t i = 0;
  while (b && i < a.size() && i < b->size() && a[i] == (*b)[i]) ++i;
  const int64_t ca = i < a.size() ? a[i] : 0;  // a ended: anything from 1 up is above it
  const bool a_ended = i >= a.size();
  int64_t cb = kMaxCodePoint + 1;
  if (b) {
    if (i >= b->size()) return std::nullopt;  // b is a prefix of a: b <= a
    cb = (*b)[i];
  }
  std::vector<int64_t> out(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(i));
  // A code point strictly between ca and cb (or from ca itself when a ended here).
  const int64_t low = a_ended ? 1 : ca + 1;
  if (low < cb) {
    int64_t m = low + (cb - low) / 2;
    if (!Usable(m)) m = m < 0xE000 && 0xE000 < cb ? 0xE000 : (0xD7FF >= low ? 0xD7FF : -1);
    if (Usable(m) && m >= low && m < cb) {
      out.push_back(m);
      return out;
    }
  }
  if (a_ended) return std::nullopt;
  // Nothing fits between: keep a's code point and go above the rest of a.
  std::vector<int64_t> rest(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.end());
  auto tail = MidCodePoints(rest, std::nullopt, depth + 1);
  if (!tail) return std::nullopt;
  out.push_back(ca);
  out.insert(out.end(), tail->begin(), tail->end());
  return out;
}

struct Piece {
  std::optional<PkBound> lo, hi;
  int64_t rows;
};

}  // namespace

size_t PkRanges::Find(int64_t v) const {
  return static_cast<size_t>(
      std::upper_bound(bounds_.begin(), bounds_.end(), v,
                       [](int64_t x, const PkBound& b) { return x < b.i; }) -
      bounds_.begin());
}

size_t PkRanges::Find(std::string_view s) const {
  return static_cast<size_t>(
      std::upper_bound(bounds_.begin(), bounds_.end(), s,
                       [](std::string_view x, const PkBound& b) { return x < b.s; }) -
      bounds_.begin());
}

std::string QuoteExprString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string PkRanges::Expr(const std::string& pk, size_t i) const {
  auto literal = [&](const PkBound& b) {
    return varchar_ ? QuoteExprString(b.s) : std::to_string(b.i);
  };
  std::string lo = i > 0 ? StrCat(pk, " >= ", literal(bounds_[i - 1])) : "";
  std::string hi = i < bounds_.size() ? StrCat(pk, " < ", literal(bounds_[i])) : "";
  if (lo.empty()) return hi;
  if (hi.empty()) return lo;
  return StrCat(lo, " && ", hi);
}

std::string PkRanges::Describe(size_t i) const {
  auto literal = [&](const PkBound& b) {
    return varchar_ ? QuoteExprString(b.s) : std::to_string(b.i);
  };
  return StrCat("[", i > 0 ? literal(bounds_[i - 1]) : "-inf", ", ",
                i < bounds_.size() ? literal(bounds_[i]) : "+inf", ")");
}

std::optional<PkBound> MidBound(bool varchar, const std::optional<PkBound>& lo,
                                const std::optional<PkBound>& hi) {
  if (!varchar) {
    // In uint64 with the sign bit flipped, the order of int64 is the order of uint64, and
    // the open top is 2^64, one past UINT64_MAX.
    constexpr uint64_t kSign = uint64_t{1} << 63;
    const uint64_t a = lo ? static_cast<uint64_t>(lo->i) ^ kSign : 0;
    uint64_t half;
    if (hi) {
      const uint64_t b = static_cast<uint64_t>(hi->i) ^ kSign;
      if (b <= a || b - a < 2) return std::nullopt;
      half = (b - a) / 2;
    } else {
      const uint64_t d = std::numeric_limits<uint64_t>::max() - a;  // 2^64 - a - 1
      if (d < 1) return std::nullopt;
      half = d / 2 + (d & 1);  // (2^64 - a) / 2
    }
    return PkBound{.i = static_cast<int64_t>((a + half) ^ kSign)};
  }
  const std::vector<int64_t> a = lo ? CodePoints(lo->s) : std::vector<int64_t>{};
  std::optional<std::vector<int64_t>> b;
  if (hi) b = CodePoints(hi->s);
  auto mid = MidCodePoints(a, b, 0);
  if (!mid) return std::nullopt;
  PkBound out;
  for (int64_t cp : *mid) AppendUtf8(cp, &out.s);
  // Guard against any rounding of invalid input: the bound must lie strictly inside.
  if ((lo && !(lo->s < out.s)) || (hi && !(out.s < hi->s))) return std::nullopt;
  return out;
}

Result<PkRanges> SplitByCount(
    bool varchar, int64_t max_rows,
    const std::function<Result<int64_t>(const std::optional<PkBound>& lo,
                                        const std::optional<PkBound>& hi)>& count,
    std::vector<int64_t>* counts) {
  PkRanges ranges(varchar);
  if (counts) counts->clear();
  ASSIGN_OR_RETURN(int64_t all, count(std::nullopt, std::nullopt));
  // Depth-first, lower half first, so ranges come out in pk order.
  std::vector<Piece> stack{{std::nullopt, std::nullopt, all}};
  bool first = true;
  while (!stack.empty()) {
    Piece p = std::move(stack.back());
    stack.pop_back();
    std::optional<PkBound> mid;
    if (p.rows > max_rows) mid = MidBound(varchar, p.lo, p.hi);
    if (!mid) {
      if (!first) ranges.Append(*p.lo);
      first = false;
      if (counts) counts->push_back(p.rows);
      continue;
    }
    ASSIGN_OR_RETURN(int64_t low_rows, count(p.lo, mid));
    stack.push_back({mid, p.hi, p.rows - low_rows});
    stack.push_back({p.lo, mid, low_rows});
  }
  return ranges;
}

}  // namespace mm
