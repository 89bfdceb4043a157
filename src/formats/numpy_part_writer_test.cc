#include "formats/numpy_part_writer.h"

#include <gtest/gtest.h>

#include <cstring>

#include "formats/npy_header.h"
#include "storage/memory_storage.h"

namespace mm {
namespace {

SchemaPtr MakeSchema(DataType vec, int64_t dim) {
  auto s = std::make_shared<Schema>();
  s->collection = "c";
  s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s->fields.push_back({.name = "data", .type = vec, .dim = dim});
  return s;
}

Batch MakeBatch(const SchemaPtr& schema, int64_t first_id, int64_t rows) {
  Batch b(schema);
  for (int64_t i = 0; i < rows; ++i) {
    int64_t id = first_id + i;
    b.column(0).AppendFixed(&id, 1);
    uint8_t* v = b.column(1).ExtendFixed(1);
    for (int64_t j = 0; j < b.column(1).width(); ++j) v[j] = static_cast<uint8_t>(id * 31 + j);
  }
  return b;
}

TEST(NpyHeaderTest, EncodesFixedSizeAlignedHeader) {
  std::string h = EncodeNpyHeader({"<f4", {1000, 128}});
  ASSERT_EQ(h.size(), kNpyHeaderSize);
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(h.find("'shape': (1000, 128)"), std::string::npos);
  EXPECT_NE(EncodeNpyHeader({"<i8", {7}}).find("'shape': (7,)"), std::string::npos);
  size_t off = 0;
  auto parsed = ParseNpyHeader(h, "x.npy", &off);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(off, kNpyHeaderSize);
  EXPECT_EQ(parsed->descr, "<f4");
  EXPECT_EQ(parsed->shape, (std::vector<int64_t>{1000, 128}));
}

TEST(NpyHeaderTest, LargestShapeFits) {
  std::string h = EncodeNpyHeader({"<f4", {INT64_MAX, INT64_MAX}});
  EXPECT_EQ(h.size(), kNpyHeaderSize);
}

TEST(NpyHeaderTest, RejectsGarbage) {
  size_t off;
  EXPECT_EQ(ParseNpyHeader("hello world", "g.npy", &off).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(NpyHeaderTest, TypesWithoutNumpyForm) {
  FieldSchema f{.name = "tags", .type = DataType::kArray};
  auto r = NpyArrayForField(f, 1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(r.status().message().find("tags"), absl::string_view::npos);
}

TEST(NumpyPartWriterTest, WritesOneFilePerFieldWithFinalShape) {
  MemoryStorage storage;
  auto schema = MakeSchema(DataType::kFloatVector, 4);
  auto w = NumpyPartWriter::Open(&storage, "out/c/t0/part-00000", schema, "p1");
  ASSERT_TRUE(w.ok()) << w.status();
  Batch b1 = MakeBatch(schema, 100, 10);
  Batch b2 = MakeBatch(schema, 200, 5);
  ASSERT_TRUE((*w)->Add(b1, 2, 8).ok());
  ASSERT_TRUE((*w)->Add(b2, 0, 5).ok());
  EXPECT_EQ((*w)->rows(), 13);
  EXPECT_EQ((*w)->bytes(), 13u * (8 + 16));
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->rows, 13);
  EXPECT_EQ(info->partition, "p1");
  ASSERT_EQ(info->files.size(), 2u);
  EXPECT_EQ(info->files[0], "out/c/t0/part-00000/id.npy");

  std::string ids = storage.Content(info->files[0]);
  size_t off = 0;
  auto h = ParseNpyHeader(ids, "id.npy", &off);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->descr, "<i8");
  EXPECT_EQ(h->shape, (std::vector<int64_t>{13}));
  ASSERT_EQ(ids.size(), off + 13 * 8);
  int64_t first, last;
  std::memcpy(&first, ids.data() + off, 8);
  std::memcpy(&last, ids.data() + off + 12 * 8, 8);
  EXPECT_EQ(first, 102);
  EXPECT_EQ(last, 204);

  std::string vecs = storage.Content(info->files[1]);
  h = ParseNpyHeader(vecs, "data.npy", &off);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->shape, (std::vector<int64_t>{13, 4}));
  ASSERT_EQ(vecs.size(), off + 13 * 16);
  EXPECT_EQ(0, std::memcmp(vecs.data() + off, b1.column(1).row(2), 8 * 16));
  EXPECT_EQ(0, std::memcmp(vecs.data() + off + 8 * 16, b2.column(1).row(0), 5 * 16));
}

TEST(NumpyPartWriterTest, BinaryVectorsAreUint8Rows) {
  MemoryStorage storage;
  auto schema = MakeSchema(DataType::kBinaryVector, 64);
  auto w = NumpyPartWriter::Open(&storage, "p", schema, "");
  ASSERT_TRUE(w.ok());
  Batch b = MakeBatch(schema, 0, 3);
  ASSERT_TRUE((*w)->Add(b, 0, 3).ok());
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok());
  size_t off;
  auto h = ParseNpyHeader(storage.Content("p/data.npy"), "data.npy", &off);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->descr, "|u1");
  EXPECT_EQ(h->shape, (std::vector<int64_t>{3, 8}));
}

TEST(NumpyPartWriterTest, AbandonLeavesNothing) {
  MemoryStorage storage;
  auto schema = MakeSchema(DataType::kFloatVector, 2);
  {
    auto w = NumpyPartWriter::Open(&storage, "p", schema, "");
    ASSERT_TRUE(w.ok());
    Batch b = MakeBatch(schema, 0, 3);
    ASSERT_TRUE((*w)->Add(b, 0, 3).ok());
    EXPECT_EQ((*w)->Add(b, 2, 5).code(), absl::StatusCode::kInternal);
    (*w)->Abandon();
  }
  EXPECT_TRUE(storage.List("").value().empty());
  {
    // Destroyed without Finish: also nothing.
    auto w = NumpyPartWriter::Open(&storage, "q", schema, "");
    ASSERT_TRUE(w.ok());
  }
  EXPECT_TRUE(storage.List("").value().empty());
}

TEST(NumpyPartWriterTest, AutoIdPrimaryKeyGetsNoFile) {
  MemoryStorage storage;
  auto s = std::make_shared<Schema>(*MakeSchema(DataType::kFloatVector, 2));
  s->fields[0].auto_id = true;
  auto w = NumpyPartWriter::Open(&storage, "p", s, "");
  ASSERT_TRUE(w.ok());
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->files.size(), 1u);
  EXPECT_EQ(info->files[0], "p/data.npy");
}

}  // namespace
}  // namespace mm
