// Test-only: rows for the Milvus 1.x Tables/TableFiles tables that both SQL dialects accept
// (SQLite and MySQL share the column order), and what BuildMilvus1xMeta makes of them.
#pragma once

#include <string>

#include "core/status.h"
#include "sources/milvus1x/milvus1x_meta.h"

namespace mm::testdata {

// A collection with a partition, a dropped collection and a binary collection; files in
// every state that matters.
inline constexpr char kRows[] = R"sql(
INSERT INTO Tables VALUES
 (1, 'c1', 0, 8, 1600000000000000, 1, 1024, 1, '{}', 1, '', '', '1.1.0', 0),
 (2, 'gone', 1, 8, 1600000000000000, 1, 1024, 1, '{}', 1, '', '', '1.1.0', 0),
 (3, '1690000000000000001', 0, 8, 1600000000000000, 1, 1024, 1, '{}', 1, 'c1', 'p1', '1.1.0', 0),
 (4, 'bin', 0, 64, 1600000000000000, 2, 1024, 10, '{"nlist":16}', 3, '', '', '1.1.0', 0);
INSERT INTO TableFiles VALUES
 (1, 'c1', '1690000000000000100', 1, '1690000000000000100', 1, 4000, 100, 0, 0, 0, 0),
 (2, 'c1', '1690000000000000050', 3, '1690000000000000050', 7, 2000, 40, 0, 0, 0, 0),
 (3, 'c1', '1690000000000000050', 3, '1690000000000000077', 3, 999, 40, 0, 0, 0, 0),
 (4, 'c1', '1690000000000000010', 1, '1690000000000000010', 4, 400, 10, 0, 0, 0, 0),
 (5, 'c1', '1690000000000000200', 3, '1690000000000000201', 3, 999, 70, 0, 0, 0, 0),
 (6, '1690000000000000001', '1690000000000000300', 1, '1690000000000000300', 2, 400, 10, 0, 0, 0, 0),
 (7, 'gone', '1690000000000000400', 1, '1690000000000000400', 1, 400, 10, 0, 0, 0, 0),
 (8, 'bin', '1690000000000000500', 9, '1690000000000000500', 1, 1600, 100, 0, 0, 0, 0);
)sql";

// After kRows: every live table in another state than 0, as 1.x leaves them readable
// (anything but TO_DELETE is live); what is read must still be kExpected.
inline constexpr char kOtherLiveStates[] = R"sql(
UPDATE Tables SET state = 2 WHERE table_id = 'c1';
UPDATE Tables SET state = 5 WHERE table_id = '1690000000000000001';
UPDATE Tables SET state = -1 WHERE table_id = 'bin';
)sql";

// After kRows: partition p1 names an owner that is not in Tables.
inline constexpr char kOrphanPartition[] = R"sql(
UPDATE Tables SET owner_table = 'no_such_collection' WHERE table_id = '1690000000000000001';
)sql";

inline constexpr char kExpected[] =
    "c1 owner= tag= dim=8 metric=1 engine=1 params={} rows=140 skipped=1 "
    "segs=1690000000000000050:40:2000:7,1690000000000000100:100:4000:1, "
    "index_only=1690000000000000200,\n"
    "1690000000000000001 owner=c1 tag=p1 dim=8 metric=1 engine=1 params={} rows=10 skipped=0 "
    "segs=1690000000000000300:10:400:2, index_only=\n"
    "bin owner= tag= dim=64 metric=3 engine=10 params={\"nlist\":16} rows=100 skipped=0 "
    "segs=1690000000000000500:100:1600:1, index_only=\n"
    "total=250";

inline std::string Summary(const Milvus1xMeta& meta) {
  std::string out;
  for (const Milvus1xTable& t : meta.tables) {
    out += StrCat(t.table_id, " owner=", t.owner_table, " tag=", t.partition_tag,
                  " dim=", t.dimension, " metric=", t.metric_type, " engine=", t.engine_type,
                  " params=", t.index_params, " rows=", t.rows, " skipped=", t.skipped_files,
                  " segs=");
    for (const auto& s : t.segments) {
      out += StrCat(s.segment_id, ":", s.rows, ":", s.file_size, ":", s.file_type, ",");
    }
    out += " index_only=";
    for (const auto& s : t.index_only_segments) out += s + ",";
    out += "\n";
  }
  return out + StrCat("total=", meta.rows);
}

}  // namespace mm::testdata
