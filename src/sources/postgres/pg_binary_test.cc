#include "sources/postgres/pg_binary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace mm {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// vector_send('[1,2.5]'::vector), as pgvector 0.8.6 answers it.
TEST(PgBinaryTest, Vector) {
  const std::string v = Bytes({0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0x40, 0x20, 0, 0});
  float out[2];
  ASSERT_TRUE(DecodePgVector(v, 2, out).ok());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 2.5f);
  EXPECT_EQ(DecodePgVector(v, 3, out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodePgVector(v.substr(0, 10), 2, out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodePgVector(v.substr(0, 3), 2, out).code(), absl::StatusCode::kDataLoss);
}

// halfvec_send('[1,2.5]'::halfvec).
TEST(PgBinaryTest, Halfvec) {
  const std::string v = Bytes({0, 2, 0, 0, 0x3c, 0x00, 0x41, 0x00});
  uint16_t half[2];
  ASSERT_TRUE(DecodePgHalfvec(v, 2, half).ok());
  EXPECT_EQ(half[0], 0x3c00);
  EXPECT_EQ(half[1], 0x4100);
  float f[2];
  ASSERT_TRUE(DecodePgHalfvecAsFloat(v, 2, f).ok());
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], 2.5f);
}

TEST(PgBinaryTest, HalfToFloatIsExact) {
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);                // largest half
  EXPECT_EQ(HalfToFloat(0x0001), 5.9604644775390625e-8f);  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), 6.103515625e-5f);         // smallest normal
  EXPECT_EQ(HalfToFloat(0x03ff), 6.097555160522461e-5f);   // largest subnormal
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
}

// varbit_send(B'1010000011000000'): 16 bits, first bit in the high bit.
TEST(PgBinaryTest, Bit) {
  const std::string v = Bytes({0, 0, 0, 16, 0xa0, 0xc0});
  uint8_t out[2];
  ASSERT_TRUE(DecodePgBit(v, 16, out).ok());
  EXPECT_EQ(out[0], 0xa0);
  EXPECT_EQ(out[1], 0xc0);
  EXPECT_EQ(DecodePgBit(v, 8, out).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodePgBit(v.substr(0, 5), 16, out).code(), absl::StatusCode::kDataLoss);
}

TEST(PgBinaryTest, TimestampAndDate) {
  // timestamptz_send('2000-01-01 00:00:01+00') = 1000000 microseconds after PostgreSQL's epoch.
  auto ts = DecodePgTimestampMicros(Bytes({0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}));
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(*ts, 946684801000000);
  // date_send('2000-01-02') = 1 day.
  auto d = DecodePgDateMicros(Bytes({0, 0, 0, 1}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 946684800000000 + 86400000000);
  // Before 1970: negative.
  auto old = DecodePgDateMicros(Bytes({0xff, 0xff, 0xd5, 0x2c}));  // -10964 days: 1969-12-25
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, -7LL * 86400000000);
  EXPECT_EQ(DecodePgTimestampMicros(Bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
                .status().code(), absl::StatusCode::kOutOfRange);  // 'infinity'
  EXPECT_EQ(DecodePgDateMicros(Bytes({0x80, 0, 0, 0})).status().code(),
            absl::StatusCode::kOutOfRange);  // '-infinity'
  EXPECT_EQ(DecodePgTimestampMicros("abc").status().code(), absl::StatusCode::kDataLoss);
}

TEST(PgBinaryTest, Jsonb) {
  const std::string value = Bytes({1, '{', '}'});  // the result is a view into it
  auto j = DecodePgJsonb(value);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j, "{}");
  EXPECT_EQ(DecodePgJsonb(Bytes({2, '{', '}'})).status().code(), absl::StatusCode::kDataLoss);
}

// array_send(ARRAY[1,-2]::int4[]) and friends.
TEST(PgBinaryTest, Arrays) {
  std::string json;
  int64_t n = 0;
  const std::string ints = Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1,
                                  0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe});
  ASSERT_TRUE(DecodePgArrayToJson(ints, &json, &n).ok());
  EXPECT_EQ(json, "[1,-2]");
  EXPECT_EQ(n, 2);
  // float4 0.1: the shortest text that reads back to the same float.
  const std::string floats = Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x02, 0xbc, 0, 0, 0, 1, 0, 0,
                                    0, 1, 0, 0, 0, 4, 0x3d, 0xcc, 0xcc, 0xcd});
  ASSERT_TRUE(DecodePgArrayToJson(floats, &json, &n).ok());
  EXPECT_EQ(json, "[0.1]");
  const std::string texts = Bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 1,
                                   0, 0, 0, 3, 'a', '"', 'b'});
  ASSERT_TRUE(DecodePgArrayToJson(texts, &json, &n).ok());
  EXPECT_EQ(json, "[\"a\\\"b\"]");
  const std::string empty = Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23});
  ASSERT_TRUE(DecodePgArrayToJson(empty, &json, &n).ok());
  EXPECT_EQ(json, "[]");
  EXPECT_EQ(n, 0);
  // A NULL element: the row cannot go in (InvalidArgument), not corrupt bytes.
  const std::string with_null = Bytes({0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0,
                                       1, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(DecodePgArrayToJson(with_null, &json, &n).code(), absl::StatusCode::kInvalidArgument);
  const std::string two_dims = Bytes({0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23});
  EXPECT_EQ(DecodePgArrayToJson(two_dims, &json, &n).code(), absl::StatusCode::kInvalidArgument);
  // Truncated: DataLoss, never a read past the value.
  for (size_t cut = 0; cut < ints.size(); ++cut) {
    EXPECT_EQ(DecodePgArrayToJson(ints.substr(0, cut), &json, &n).code(),
              absl::StatusCode::kDataLoss)
        << cut;
  }
}

}  // namespace
}  // namespace mm
