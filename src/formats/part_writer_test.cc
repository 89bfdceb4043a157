#include "formats/part_writer.h"

#include <gtest/gtest.h>

#include "storage/memory_storage.h"

namespace mm {
namespace {

SchemaPtr SchemaWith(FieldSchema extra) {
  auto s = std::make_shared<Schema>();
  s->collection = "c";
  s->fields.push_back({.name = "id", .type = DataType::kInt64, .primary_key = true});
  s->fields.push_back({.name = "v", .type = DataType::kFloatVector, .dim = 2});
  if (extra.type != DataType::kNone) s->fields.push_back(std::move(extra));
  return s;
}

TEST(PartWriterTest, NumpyWhenEveryFieldHasANumpyForm) {
  EXPECT_EQ(ChoosePartFormat(*SchemaWith({})), PartFormat::kNumpy);
  EXPECT_EQ(ChoosePartFormat(*SchemaWith({.name = "x", .type = DataType::kDouble})),
            PartFormat::kNumpy);
  EXPECT_EQ(ChoosePartFormat(*SchemaWith({.name = "s", .type = DataType::kVarChar,
                                          .max_length = 8})),
            PartFormat::kJsonRows);
  EXPECT_EQ(ChoosePartFormat(*SchemaWith({.name = "j", .type = DataType::kJson})),
            PartFormat::kJsonRows);
  EXPECT_EQ(ChoosePartFormat(*SchemaWith({.name = "a", .type = DataType::kArray,
                                          .element_type = DataType::kInt32,
                                          .max_capacity = 4})),
            PartFormat::kJsonRows);
  // An auto-ID VarChar key gets no file, so it does not force JSON rows.
  auto s = std::make_shared<Schema>(*SchemaWith({}));
  s->fields[0] = {.name = "pk", .type = DataType::kVarChar, .primary_key = true,
                  .auto_id = true, .max_length = 36};
  EXPECT_EQ(ChoosePartFormat(*s), PartFormat::kNumpy);
  EXPECT_EQ(PartFormatName(PartFormat::kJsonRows), "json-rows");
}

TEST(PartWriterTest, OpensTheChosenFormat) {
  MemoryStorage storage;
  for (auto [schema, file] :
       {std::pair{SchemaWith({}), std::string("p/id.npy")},
        std::pair{SchemaWith({.name = "s", .type = DataType::kVarChar, .max_length = 8}),
                  std::string("p/rows.json")}}) {
    auto w = OpenPartWriter(&storage, "p", schema, "");
    ASSERT_TRUE(w.ok()) << w.status();
    Batch b(schema);
    int64_t id = 1;
    float v[2] = {1, 2};
    b.column(0).AppendFixed(&id, 1);
    b.column(1).AppendFixed(v, 1);
    if (b.num_columns() > 2) b.column(2).AppendValue("abc");
    ASSERT_TRUE((*w)->Add(b, 0, 1).ok());
    auto info = (*w)->Finish();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->files.at(0), file);
    ASSERT_TRUE(storage.DeletePrefix("p/").ok());
  }
}

}  // namespace
}  // namespace mm
