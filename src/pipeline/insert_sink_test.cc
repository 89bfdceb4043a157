// The Insert/Upsert sink's pure parts: cutting batches into requests by bytes, slicing rows,
// and which failed requests are sent again. The sink against real servers (Milvus 2.3.5 and
// Milvus Lite), its resume and kill tests are in tests/e2e/test_insert_load_e2e.py.
#include "pipeline/insert_sink.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace mm {
namespace {

SchemaPtr TestSchema(int64_t dim) {
  auto schema = std::make_shared<Schema>();
  schema->collection = "c";
  schema->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  schema->fields.push_back({.name = "v", .type = DataType::kFloatVector, .dim = dim});
  schema->fields.push_back({.name = "s", .type = DataType::kVarChar, .max_length = 1000});
  return schema;
}

// `rows` rows; row i's string is `text_len(i)` bytes long.
Batch MakeBatch(int64_t dim, int64_t rows, int64_t (*text_len)(int64_t)) {
  Batch batch(TestSchema(dim), "p1");
  for (int64_t i = 0; i < rows; ++i) {
    batch.column(0).AppendFixed(&i, 1);
    std::vector<float> v(static_cast<size_t>(dim), static_cast<float>(i));
    batch.column(1).AppendFixed(v.data(), 1);
    batch.column(2).AppendValue(std::string(static_cast<size_t>(text_len(i)), 'x'));
  }
  return batch;
}

int64_t Short(int64_t) { return 4; }
int64_t Growing(int64_t i) { return i * 10; }

TEST(InsertSinkTest, RowBytesCountVectorsVarintsAndStrings) {
  Batch batch = MakeBatch(8, 3, Growing);
  // 10 (Int64 varint) + 32 (8 floats) + len + 6.
  EXPECT_EQ(EstimateRequestRowBytes(batch, 0), 10 + 32 + 0 + 6);
  EXPECT_EQ(EstimateRequestRowBytes(batch, 2), 10 + 32 + 20 + 6);
}

TEST(InsertSinkTest, CutsRequestsUnderTheByteLimit) {
  Batch batch = MakeBatch(8, 100, Short);  // 52 bytes a row
  const auto ranges = CutRequests(batch, 520);
  ASSERT_EQ(ranges.size(), 10u);
  int64_t next = 0;
  for (const auto& r : ranges) {
    EXPECT_EQ(r.offset, next);
    EXPECT_EQ(r.rows, 10);
    next += r.rows;
  }
  EXPECT_EQ(next, 100);
}

TEST(InsertSinkTest, EveryRequestStaysUnderTheLimitWithRowsOfDifferentSizes) {
  Batch batch = MakeBatch(4, 200, Growing);
  const int64_t limit = 4000;
  int64_t total = 0;
  for (const auto& r : CutRequests(batch, limit)) {
    int64_t bytes = 0;
    for (int64_t i = r.offset; i < r.offset + r.rows; ++i) {
      bytes += EstimateRequestRowBytes(batch, i);
    }
    if (r.rows > 1) {
      EXPECT_LE(bytes, limit);
    }
    total += r.rows;
  }
  EXPECT_EQ(total, 200);
}

TEST(InsertSinkTest, ARowOverTheLimitGoesAlone) {
  Batch batch = MakeBatch(1024, 3, Short);  // 4 KiB vectors
  const auto ranges = CutRequests(batch, 100);
  ASSERT_EQ(ranges.size(), 3u);
  for (const auto& r : ranges) EXPECT_EQ(r.rows, 1);
}

TEST(InsertSinkTest, RequestsEndWhereTheRowsInDoubtEnd) {
  Batch batch = MakeBatch(8, 100, Short);
  const auto ranges = CutRequests(batch, 1 << 20, 37);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], (RowRange{0, 37}));
  EXPECT_EQ(ranges[1], (RowRange{37, 63}));
  EXPECT_EQ(CutRequests(batch, 1 << 20, 0).size(), 1u);
  EXPECT_EQ(CutRequests(batch, 1 << 20, 100).size(), 1u);
  EXPECT_TRUE(CutRequests(MakeBatch(8, 0, Short), 100).empty());
}

TEST(InsertSinkTest, RequestBytesStayUnderHalfTheTargetsLimit) {
  EXPECT_EQ(RequestBytes(0), kMaxRequestBytes);  // 64 MiB default: capped
  EXPECT_EQ(RequestBytes(int64_t{256} << 20), kMaxRequestBytes);
  EXPECT_EQ(RequestBytes(int64_t{4} << 20), int64_t{2} << 20);
  EXPECT_EQ(RequestBytes(1 << 20), 1 << 19);
}

TEST(InsertSinkTest, SliceKeepsRowsSchemaAndPartition) {
  Batch batch = MakeBatch(2, 10, Growing);
  Batch slice = SliceRows(batch, 3, 4);
  ASSERT_EQ(slice.num_rows(), 4);
  EXPECT_EQ(slice.partition(), "p1");
  EXPECT_EQ(slice.schema(), batch.schema());
  EXPECT_TRUE(slice.Validate().ok());
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(slice.column(0).scalar<int64_t>(i), 3 + i);
    EXPECT_EQ(std::memcmp(slice.column(1).row(i), batch.column(1).row(3 + i), 8), 0);
    EXPECT_EQ(slice.column(2).value(i), batch.column(2).value(3 + i));
  }
}

TEST(InsertSinkTest, RateLimitsAndDroppedConnectionsAreSentAgain) {
  EXPECT_EQ(ClassifySendError(absl::ResourceExhaustedError("milvus h:1: Insert into "
                                                           "collection 'c': rate limit exceeded"),
                              true),
            SendAction::kRetry);
  EXPECT_EQ(ClassifySendError(absl::ResourceExhaustedError("quota exceeded[reason=memory]"),
                              false),
            SendAction::kRetry);
  EXPECT_EQ(ClassifySendError(absl::UnavailableError("milvus h:1 is unreachable"), false),
            SendAction::kRetry);
}

TEST(InsertSinkTest, ARequestThatMayHaveRunIsSentAgainOnlyByUpsert) {
  const Status deadline = absl::DeadlineExceededError("Insert: deadline exceeded");
  EXPECT_EQ(ClassifySendError(deadline, true), SendAction::kRetryAsUpsert);
  // An autoID primary key cannot go by Upsert: sending again could double the rows.
  EXPECT_EQ(ClassifySendError(deadline, false), SendAction::kFail);
}

TEST(InsertSinkTest, RefusalsThatCannotChangeAreNotSentAgain) {
  EXPECT_EQ(ClassifySendError(absl::ResourceExhaustedError(
                                  "grpc: received message larger than max (70000000 vs. "
                                  "67108864)"),
                              true),
            SendAction::kFail);
  EXPECT_EQ(ClassifySendError(absl::InvalidArgumentError("dim mismatch"), true),
            SendAction::kFail);
  EXPECT_EQ(ClassifySendError(absl::NotFoundError("collection not found"), true),
            SendAction::kFail);
  EXPECT_EQ(ClassifySendError(absl::UnauthenticatedError("bad password"), true),
            SendAction::kFail);
}

}  // namespace
}  // namespace mm
