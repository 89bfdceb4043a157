#include "sources/milvus1x/segment_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "storage/memory_storage.h"

namespace mm {
namespace {

using ::testing::HasSubstr;

std::string WithHeader(const void* data, size_t n) {
  uint64_t header = n;
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  out.append(static_cast<const char*>(data), n);
  return out;
}

// One segment's content, written into a MemoryStorage the way Milvus 1.x lays it out.
struct SegmentData {
  std::vector<int64_t> ids;
  std::vector<uint8_t> vectors;  // row-major, `width` bytes a row
  int64_t width = 0;
  std::optional<std::vector<int32_t>> deleted;  // nullopt: no deleted_docs file
};

SegmentData MakeFloat(int64_t rows, int64_t dim, int64_t first_id = 1000) {
  SegmentData d;
  d.width = dim * 4;
  for (int64_t i = 0; i < rows; ++i) {
    d.ids.push_back(first_id + i * 3);
    for (int64_t j = 0; j < dim; ++j) {
      float v = static_cast<float>(i) + static_cast<float>(j) / 100.0f;
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      d.vectors.insert(d.vectors.end(), b, b + 4);
    }
  }
  d.deleted = std::vector<int32_t>{};
  return d;
}

SegmentData MakeBinary(int64_t rows, int64_t dim_bits) {
  SegmentData d;
  d.width = dim_bits / 8;
  for (int64_t i = 0; i < rows; ++i) {
    d.ids.push_back(int64_t{1600000000000000000} + i);
    for (int64_t j = 0; j < d.width; ++j) d.vectors.push_back(static_cast<uint8_t>(i * 7 + j));
  }
  d.deleted = std::vector<int32_t>{};
  return d;
}

void Put(MemoryStorage& storage, const std::string& table, const std::string& seg,
         const SegmentData& d) {
  const std::string dir = table + "/" + seg + "/";
  storage.Put(dir + seg + ".rv", WithHeader(d.vectors.data(), d.vectors.size()));
  storage.Put(dir + seg + ".uid", WithHeader(d.ids.data(), d.ids.size() * 8));
  if (d.deleted) {
    storage.Put(dir + "deleted_docs", WithHeader(d.deleted->data(), d.deleted->size() * 4));
  }
  storage.Put(dir + "bloom_filter", std::string(64, '\x5a'));
}

SegmentSpec Spec(int64_t live_rows, int64_t dim, bool binary = false) {
  SegmentSpec spec;
  spec.table_id = "c1";
  spec.segment_id = "123";
  spec.live_rows = live_rows;
  spec.dim = dim;
  spec.binary = binary;
  return spec;
}

struct Rows {
  std::vector<int64_t> ids;
  std::vector<uint8_t> vectors;
  std::vector<int64_t> batch_sizes;
};

Result<Rows> ReadAll(SegmentReader& reader) {
  Rows out;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<Batch> batch, reader.Next());
    if (!batch) break;
    RETURN_IF_ERROR(batch->Validate());
    EXPECT_EQ(batch->partition(), "p1");
    EXPECT_EQ(batch->num_columns(), 2u);
    const int64_t n = batch->num_rows();
    out.batch_sizes.push_back(n);
    for (int64_t i = 0; i < n; ++i) out.ids.push_back(batch->column(0).scalar<int64_t>(i));
    const Column& v = batch->column(1);
    out.vectors.insert(out.vectors.end(), v.data(), v.data() + v.size_bytes());
  }
  return out;
}

// The rows a correct reader yields: all but the deleted offsets, in file order.
Rows Expected(const SegmentData& d) {
  std::set<int32_t> gone;
  if (d.deleted) gone.insert(d.deleted->begin(), d.deleted->end());
  Rows out;
  for (size_t i = 0; i < d.ids.size(); ++i) {
    if (gone.count(static_cast<int32_t>(i))) continue;
    out.ids.push_back(d.ids[i]);
    out.vectors.insert(out.vectors.end(), d.vectors.begin() + static_cast<ptrdiff_t>(i * d.width),
                       d.vectors.begin() + static_cast<ptrdiff_t>((i + 1) * d.width));
  }
  return out;
}

Result<std::unique_ptr<SegmentReader>> Open(const std::shared_ptr<MemoryStorage>& storage,
                                            const SegmentSpec& spec,
                                            SegmentReaderOptions options = {}) {
  return SegmentReader::Open(storage, spec, MakeSegmentSchema("c", spec.dim, spec.binary, "id", "vector"), "p1", options);
}

TEST(SegmentReaderTest, ReadsEveryRowInFileOrder) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(100, 4);
  Put(*storage, "c1", "123", d);
  auto reader = Open(storage, Spec(100, 4));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->physical_rows(), 100);
  EXPECT_EQ((*reader)->deleted_rows(), 0);
  EXPECT_EQ((*reader)->schema()->fields[1].dim, 4);
  auto rows = ReadAll(**reader);
  ASSERT_TRUE(rows.ok()) << rows.status();
  Rows want = Expected(d);
  EXPECT_EQ(rows->ids, want.ids);
  EXPECT_EQ(rows->vectors, want.vectors);
  EXPECT_EQ(rows->batch_sizes, std::vector<int64_t>{100});
  // The end stays the end.
  auto again = (*reader)->Next();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST(SegmentReaderTest, MissingDeletedDocsMeansNoDeletions) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(10, 2);
  d.deleted.reset();
  Put(*storage, "c1", "123", d);
  auto reader = Open(storage, Spec(10, 2));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->deleted_rows(), 0);
  auto rows = ReadAll(**reader);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->ids, Expected(d).ids);
}

TEST(SegmentReaderTest, SkipsUnsortedDuplicatedDeletedOffsets) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(100, 3);
  // Two delete batches appended one after the other, as 1.x writes them; 3 twice.
  d.deleted = std::vector<int32_t>{50, 3, 99, 17, 3, 0, 51, 49};
  Put(*storage, "c1", "123", d);
  auto reader = Open(storage, Spec(93, 3));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->physical_rows(), 100);
  EXPECT_EQ((*reader)->deleted_rows(), 7);
  auto rows = ReadAll(**reader);
  ASSERT_TRUE(rows.ok()) << rows.status();
  Rows want = Expected(d);
  ASSERT_EQ(want.ids.size(), 93u);
  EXPECT_EQ(rows->ids, want.ids);
  EXPECT_EQ(rows->vectors, want.vectors);
}

TEST(SegmentReaderTest, AllRowsDeletedYieldsNothing) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(20, 2);
  d.deleted = std::vector<int32_t>{};
  for (int32_t i = 19; i >= 0; --i) d.deleted->push_back(i);
  d.deleted->push_back(7);
  Put(*storage, "c1", "123", d);
  SegmentReaderOptions options;
  options.batch_bytes = 1;
  options.read_buffer_bytes = 16;
  auto reader = Open(storage, Spec(0, 2), options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->deleted_rows(), 20);
  auto batch = (*reader)->Next();
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_FALSE(batch->has_value());
}

TEST(SegmentReaderTest, EmptyFilesYieldNothing) {
  auto storage = std::make_shared<MemoryStorage>();
  Put(*storage, "c1", "123", MakeFloat(0, 4));
  auto reader = Open(storage, Spec(0, 4));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->physical_rows(), 0);
  auto batch = (*reader)->Next();
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_FALSE(batch->has_value());
}

TEST(SegmentReaderTest, BatchesKeepTheirSizeAcrossReadsAndDeletions) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(103, 2);  // 8-byte vectors: a row is 16 bytes with its id
  d.deleted = std::vector<int32_t>{0, 1, 2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 102, 9, 60, 60};
  Put(*storage, "c1", "123", d);
  const Rows want = Expected(d);
  const int64_t live = static_cast<int64_t>(want.ids.size());
  for (int64_t batch_rows = 1; batch_rows <= 11; ++batch_rows) {
    for (int64_t read_rows = 1; read_rows <= 6; ++read_rows) {
      SCOPED_TRACE(StrCat("batch_rows ", batch_rows, " read_rows ", read_rows));
      SegmentReaderOptions options;
      options.batch_bytes = batch_rows * 16;
      options.read_buffer_bytes = read_rows * 8;
      auto reader = Open(storage, Spec(live, 2), options);
      ASSERT_TRUE(reader.ok()) << reader.status();
      auto rows = ReadAll(**reader);
      ASSERT_TRUE(rows.ok()) << rows.status();
      EXPECT_EQ(rows->ids, want.ids);
      EXPECT_EQ(rows->vectors, want.vectors);
      ASSERT_FALSE(rows->batch_sizes.empty());
      for (size_t i = 0; i < rows->batch_sizes.size(); ++i) {
        EXPECT_GT(rows->batch_sizes[i], 0);
        if (i + 1 < rows->batch_sizes.size()) {
          EXPECT_EQ(rows->batch_sizes[i], batch_rows);
        } else {
          EXPECT_LE(rows->batch_sizes[i], batch_rows);
        }
      }
    }
  }
}

TEST(SegmentReaderTest, ReadsBinaryVectors) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeBinary(50, 64);
  d.deleted = std::vector<int32_t>{25, 5};
  Put(*storage, "c1", "123", d);
  SegmentReaderOptions options;
  options.batch_bytes = 16 * 7;
  auto reader = Open(storage, Spec(48, 64, /*binary=*/true), options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto rows = ReadAll(**reader);
  ASSERT_TRUE(rows.ok()) << rows.status();
  Rows want = Expected(d);
  EXPECT_EQ(rows->ids, want.ids);
  EXPECT_EQ(rows->vectors, want.vectors);
  EXPECT_EQ(rows->vectors.size(), 48u * 8);
  EXPECT_EQ(rows->batch_sizes.front(), 7);
}

// --- errors: each named, each with its code, each before any row is read ---

void ExpectError(const Result<std::unique_ptr<SegmentReader>>& got, absl::StatusCode code,
                 const std::string& text) {
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), code) << got.status();
  EXPECT_THAT(std::string(got.status().message()), HasSubstr(text));
}

TEST(SegmentReaderTest, MissingDirectoryIsNotFound) {
  auto storage = std::make_shared<MemoryStorage>();
  // A sibling whose name starts the same must not count as the segment.
  Put(*storage, "c1", "1234", MakeFloat(3, 2));
  ExpectError(Open(storage, Spec(3, 2)), absl::StatusCode::kNotFound,
              "segment directory c1/123 not found");
}

TEST(SegmentReaderTest, IndexOnlySegmentIsNamed) {
  auto storage = std::make_shared<MemoryStorage>();
  storage->Put("c1/123/1687431273445926000", std::string(100, 'x'));
  storage->Put("c1/123/bloom_filter", std::string(10, 'x'));
  storage->Put("c1/123/deleted_docs", std::string(8, '\0'));
  ExpectError(Open(storage, Spec(3, 2)), absl::StatusCode::kFailedPrecondition,
              "segment c1/123 has only an index file (1687431273445926000) and no raw vectors "
              "(.rv)");
}

TEST(SegmentReaderTest, MissingRvOrUidIsNotFound) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(3, 2);
  Put(*storage, "c1", "123", d);
  storage->Delete("c1/123/123.rv").IgnoreError();
  ExpectError(Open(storage, Spec(3, 2)), absl::StatusCode::kNotFound, "c1/123/123.rv not found");

  auto storage2 = std::make_shared<MemoryStorage>();
  Put(*storage2, "c1", "123", d);
  storage2->Delete("c1/123/123.uid").IgnoreError();
  ExpectError(Open(storage2, Spec(3, 2)), absl::StatusCode::kNotFound,
              "c1/123/123.uid not found");
}

TEST(SegmentReaderTest, TruncatedFilesAreDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(10, 128);  // 5120 bytes of vectors
  Put(*storage, "c1", "123", d);
  std::string rv = storage->Content("c1/123/123.rv");
  storage->Put("c1/123/123.rv", rv.substr(0, 8 + 4000));
  ExpectError(Open(storage, Spec(10, 128)), absl::StatusCode::kDataLoss,
              "c1/123/123.rv: header says 5120 bytes but only 4000 follow");

  storage->Put("c1/123/123.rv", rv + "junk");
  ExpectError(Open(storage, Spec(10, 128)), absl::StatusCode::kDataLoss,
              "c1/123/123.rv: header says 5120 bytes but 5124 follow");

  storage->Put("c1/123/123.rv", rv.substr(0, 5));
  ExpectError(Open(storage, Spec(10, 128)), absl::StatusCode::kDataLoss,
              "c1/123/123.rv: the file is 5 bytes, shorter than its 8-byte size header");

  storage->Put("c1/123/123.rv", rv);
  std::string uid = storage->Content("c1/123/123.uid");
  storage->Put("c1/123/123.uid", uid.substr(0, uid.size() - 1));
  ExpectError(Open(storage, Spec(10, 128)), absl::StatusCode::kDataLoss,
              "c1/123/123.uid: header says 80 bytes but only 79 follow");

  storage->Put("c1/123/123.uid", uid);
  storage->Put("c1/123/deleted_docs", std::string("\x08\0\0\0\0\0\0\0\x01\0\0\0", 12));
  ExpectError(Open(storage, Spec(10, 128)), absl::StatusCode::kDataLoss,
              "c1/123/deleted_docs: header says 8 bytes but only 4 follow");
}

TEST(SegmentReaderTest, RowCountDisagreementIsDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(1000, 128);
  d.ids.resize(990);
  Put(*storage, "c1", "123", d);
  ExpectError(Open(storage, Spec(1000, 128)), absl::StatusCode::kDataLoss,
              "c1/123/123.rv holds 1000 rows of 512 bytes per the meta's dimension 128 but .uid "
              "holds 990 ids");
}

TEST(SegmentReaderTest, DimensionMismatchIsDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  Put(*storage, "c1", "123", MakeFloat(10, 4));  // 160 bytes: not a multiple of 3 * 4
  ExpectError(Open(storage, Spec(10, 3)), absl::StatusCode::kDataLoss,
              "c1/123/123.rv: header says 160 bytes, not a whole number of vectors of 12 bytes "
              "per the meta's dimension 3");
  // A whole number of rows of the wrong width still disagrees with the ids.
  ExpectError(Open(storage, Spec(10, 8)), absl::StatusCode::kDataLoss,
              "holds 5 rows of 32 bytes per the meta's dimension 8 but .uid holds 10 ids");
}

TEST(SegmentReaderTest, PartialIdsAndOffsetsAreDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(4, 2);
  Put(*storage, "c1", "123", d);
  std::string odd_uid = WithHeader(d.ids.data(), 31);
  storage->Put("c1/123/123.uid", odd_uid);
  ExpectError(Open(storage, Spec(4, 2)), absl::StatusCode::kDataLoss,
              "c1/123/123.uid: header says 31 bytes, not a whole number of 8-byte ids");

  Put(*storage, "c1", "123", d);
  std::vector<int32_t> del = {1, 2};
  storage->Put("c1/123/deleted_docs", WithHeader(del.data(), 6));
  ExpectError(Open(storage, Spec(4, 2)), absl::StatusCode::kDataLoss,
              "c1/123/deleted_docs: header says 6 bytes, not a whole number of 4-byte row "
              "offsets");
}

TEST(SegmentReaderTest, DeletedOffsetOutOfRangeIsDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(10, 2);
  d.deleted = std::vector<int32_t>{3, 10};
  Put(*storage, "c1", "123", d);
  ExpectError(Open(storage, Spec(8, 2)), absl::StatusCode::kDataLoss,
              "c1/123/deleted_docs: entry 1 deletes row 10, but c1/123/123.rv holds only 10 "
              "rows");
  d.deleted = std::vector<int32_t>{-1};
  Put(*storage, "c1", "123", d);
  ExpectError(Open(storage, Spec(9, 2)), absl::StatusCode::kDataLoss, "entry 0 deletes row -1");
}

TEST(SegmentReaderTest, LiveRowsDisagreeingWithMetaIsDataLoss) {
  auto storage = std::make_shared<MemoryStorage>();
  SegmentData d = MakeFloat(1000, 2);
  d.deleted = std::vector<int32_t>{5, 6, 7, 6};
  Put(*storage, "c1", "123", d);
  ExpectError(Open(storage, Spec(998, 2)), absl::StatusCode::kDataLoss,
              "segment c1/123: 1000 rows minus 3 deleted = 997, but the meta says 998 rows");
}

TEST(SegmentReaderTest, SchemaNotMatchingTheSpecIsInvalidArgument) {
  auto storage = std::make_shared<MemoryStorage>();
  Put(*storage, "c1", "123", MakeFloat(3, 2));
  auto got = SegmentReader::Open(storage, Spec(3, 2), MakeSegmentSchema("c", 4, false, "id", "vector"), "p1", {});
  ExpectError(got, absl::StatusCode::kInvalidArgument, "expected FloatVector(2)");
  got = SegmentReader::Open(storage, Spec(3, 12, true), MakeSegmentSchema("c", 12, true, "id", "vector"), "p1", {});
  ExpectError(got, absl::StatusCode::kInvalidArgument, "dimension 12 is not valid");
}

}  // namespace
}  // namespace mm
