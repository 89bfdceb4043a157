// Milvus 1.x metadata, whichever store it came from (SQLite, MySQL or a meta.json): the live
// tables (collections and partitions) and, for each, the segment files that hold raw data.
// Plain values: build once, then share read-only between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace mm {

// Milvus 1.x TableFiles.file_type values.
enum Milvus1xFileType : int32_t {
  kFileNew = 0,
  kFileRaw = 1,
  kFileToIndex = 2,
  kFileIndex = 3,
  kFileToDelete = 4,
  kFileNewMerge = 5,
  kFileNewIndex = 6,
  kFileBackup = 7,
};

// Milvus 1.x Tables.state values: a table is dropped (soft-deleted) when TO_DELETE; 1.x
// treats every other value as live.
enum Milvus1xTableState : int32_t {
  kTableNormal = 0,
  kTableToDelete = 1,
};

// One segment directory with raw data: tables/<table_id>/<segment_id>/.
struct Milvus1xSegment {
  std::string segment_id;
  int64_t rows = 0;       // live rows: the meta's row_count, deletes already subtracted
  int64_t file_size = 0;  // .rv + .uid payload bytes (deletes do not change it)
  int32_t file_type = kFileRaw;
};

// A row of the Tables table that is live (state not TO_DELETE): a collection, or a partition
// of one.
struct Milvus1xTable {
  std::string table_id;       // the 1.x name; also the directory under tables/
  std::string owner_table;    // "" for a collection; the parent's table_id for a partition
  std::string partition_tag;  // the user's tag for a partition; "" for a collection
  int64_t dimension = 0;      // floats a vector, or bits for binary metrics
  int32_t metric_type = 1;    // 1 L2, 2 IP, 3 HAMMING, 4 JACCARD, 5 TANIMOTO, 6 SUB-, 7 SUPERSTRUCTURE
  int32_t engine_type = 1;    // the 1.x index type (1 FLAT, 2 IVF_FLAT, ...)
  std::string index_params;   // JSON text, as stored
  int64_t rows = 0;           // sum of segments[].rows
  std::vector<Milvus1xSegment> segments;  // file_type RAW, TO_INDEX or BACKUP
  // Segment ids that have an INDEX file but no live raw file: their vectors are not
  // recoverable exactly, so the source reports them by name.
  std::vector<std::string> index_only_segments;
  // Files skipped because of their state (NEW, TO_DELETE, NEW_MERGE, NEW_INDEX), for the log.
  int64_t skipped_files = 0;
};

struct Milvus1xMeta {
  std::vector<Milvus1xTable> tables;  // collections first-seen order; partitions after their owner
  int64_t rows = 0;                   // sum of tables[].rows

  int64_t segment_count() const {
    int64_t n = 0;
    for (const auto& t : tables) n += static_cast<int64_t>(t.segments.size());
    return n;
  }
};

// The raw rows of the two meta tables, as the SQL readers fetch them.
struct Milvus1xTableRow {
  std::string table_id;
  int32_t state = 0;  // Milvus1xTableState: 1 to-delete, anything else live
  int64_t dimension = 0;
  int32_t metric_type = 1;
  int32_t engine_type = 1;
  std::string index_params;
  std::string owner_table;
  std::string partition_tag;
};
struct Milvus1xFileRow {
  std::string table_id;
  std::string segment_id;
  std::string file_id;
  int32_t file_type = 0;
  int64_t file_size = 0;
  int64_t row_count = 0;
};

// Keeps live tables (state not TO_DELETE, as 1.x reads them; for partitions, a live owner)
// and their live raw files; finds index-only segments; orders partitions after their owner.
// `origin` names the store in messages ("meta.sqlite at /db/meta.sqlite"). DataLoss naming
// the table for a live partition whose owner is not in Tables or is a partition, and for a
// file of a live table with an unknown file_type; InvalidArgument when no live table is left.
Result<Milvus1xMeta> BuildMilvus1xMeta(const std::vector<Milvus1xTableRow>& tables,
                                       const std::vector<Milvus1xFileRow>& files,
                                       const std::string& origin);

}  // namespace mm
