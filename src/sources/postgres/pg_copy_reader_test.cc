#include "sources/postgres/pg_copy_reader.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

std::shared_ptr<PgTable> Table() {
  auto t = std::make_shared<PgTable>();
  t->display = "public.items";
  t->relation = "\"public\".\"items\"";
  PgField id;
  id.select = "\"id\"";
  PgField v;
  v.select = "\"v\"";
  t->fields = {id, v};
  t->range_column = "\"id\"";
  return t;
}

TEST(PgCopyReaderTest, PkRangeSqlResumesAfterThePk) {
  PgTaskSpec spec{Table(), PgTaskSpec::Kind::kPkRange, "", -5, 100};
  EXPECT_EQ(PgCopyReader::CopySql(spec, {}),
            "COPY (SELECT \"id\", \"v\", \"id\"::int8 AS mm_position FROM \"public\".\"items\" "
            "WHERE \"id\" >= -5 AND \"id\" <= 100 ORDER BY \"id\") TO STDOUT (FORMAT binary)");
  EXPECT_NE(PgCopyReader::CopySql(spec, {true, 42}).find("AND \"id\" > 42 ORDER BY"),
            std::string::npos);
}

TEST(PgCopyReaderTest, BlockRangeSqlResumesAfterTheCtid) {
  PgTaskSpec spec{Table(), PgTaskSpec::Kind::kBlocks, "\"items_a\"", 8, 16};
  EXPECT_EQ(PgCopyReader::CopySql(spec, {true, 9 << 16 | 3}),
            "COPY (SELECT \"id\", \"v\", ctid FROM \"items_a\" WHERE ctid >= '(8,0)' AND "
            "ctid < '(16,0)' AND ctid > '(9,3)') TO STDOUT (FORMAT binary)");
  spec.hi = -1;  // the leaf's last range runs to its end
  EXPECT_EQ(PgCopyReader::CopySql(spec, {}).find("ctid <"), std::string::npos);
}

TEST(PgCopyReaderTest, Positions) {
  auto pk = PgCopyReader::ParsePosition("pk:-12");
  ASSERT_TRUE(pk.ok());
  EXPECT_TRUE(pk->set);
  EXPECT_EQ(pk->value, -12);
  auto ctid = PgCopyReader::ParsePosition("ctid:7:65");
  ASSERT_TRUE(ctid.ok());
  EXPECT_EQ(ctid->value, 7 << 16 | 65);
  for (const char* bad : {"", "pk:", "pk:x", "ctid:1", "ctid:1:70000", "after:3"}) {
    EXPECT_EQ(PgCopyReader::ParsePosition(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace mm
