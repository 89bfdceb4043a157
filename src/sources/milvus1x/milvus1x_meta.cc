#include "sources/milvus1x/milvus1x_meta.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace mm {
namespace {

// 1.x reads every table whose state is not TO_DELETE (`state <> 1` in SqliteMetaImpl and
// MySQLMetaImpl: AllCollections, DescribeCollection, ShowPartitions); other values than 0 are
// as live as 0 there.
bool IsLiveTable(const Milvus1xTableRow& t) { return t.state != kTableToDelete; }

bool IsLiveRaw(int32_t file_type) {
  return file_type == kFileRaw || file_type == kFileToIndex || file_type == kFileBackup;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Segment ids are decimal timestamps ("1678354366132931000"): numbers sort by value, which
// for digit strings without leading zeros is (length, text). Anything else sorts after them
// by text, so the order is total and the same on every run.
bool SegmentIdLess(const std::string& a, const std::string& b) {
  const bool da = AllDigits(a), db = AllDigits(b);
  if (da != db) return da;
  if (da && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string DescribeFile(const Milvus1xFileRow& f) {
  return StrCat("file ", f.file_id.empty() ? "(no file_id)" : f.file_id, " (file_type ", f.file_type,
                ")");
}

struct TableBuild {
  Milvus1xTable table;
  // segment_id -> index into files, for the duplicate check and index-only detection
  std::unordered_map<std::string, size_t> raw_by_segment;
  std::set<std::string> index_segments;
};

}  // namespace

Result<Milvus1xMeta> BuildMilvus1xMeta(const std::vector<Milvus1xTableRow>& tables,
                                       const std::vector<Milvus1xFileRow>& files,
                                       const std::string& origin) {
  // Tables.table_id is UNIQUE in both schemas; two rows with one name mean a damaged store.
  std::map<std::string, const Milvus1xTableRow*> by_id;
  for (const Milvus1xTableRow& t : tables) {
    if (t.table_id.empty()) {
      return absl::DataLossError(StrCat(origin, ": a Tables row has an empty table_id"));
    }
    if (!by_id.emplace(t.table_id, &t).second) {
      return absl::DataLossError(
          StrCat(origin, ": table_id '", t.table_id, "' appears twice in Tables"));
    }
  }

  // Collections in first-seen order, each followed by its live partitions in first-seen order.
  std::vector<const Milvus1xTableRow*> ordered;
  std::map<std::string, std::vector<const Milvus1xTableRow*>> partitions_of;
  for (const Milvus1xTableRow& t : tables) {
    if (!IsLiveTable(t) || t.owner_table.empty()) continue;
    auto owner = by_id.find(t.owner_table);
    const std::string partition = StrCat("partition '", t.partition_tag, "' (table '",
                                         t.table_id, "')");
    // 1.x creates a partition under an existing collection and drops it with it, so an
    // owner that is not there at all, or is itself a partition, means a damaged store.
    if (owner == by_id.end()) {
      return absl::DataLossError(StrCat(origin, ": ", partition, " belongs to '", t.owner_table,
                                        "', which is not a table in Tables; its rows would "
                                        "have no collection to go to"));
    }
    if (!owner->second->owner_table.empty()) {
      return absl::DataLossError(StrCat(origin, ": ", partition, " belongs to '", t.owner_table,
                                        "', which is itself a partition (of '",
                                        owner->second->owner_table,
                                        "'); 1.x does not nest partitions"));
    }
    // A dropped collection leaves its partitions' rows behind until the 1.x cleaner runs;
    // 1.x lists partitions only of live collections, so nobody can reach them.
    if (!IsLiveTable(*owner->second)) {
      spdlog::info("{}: {} belongs to the dropped collection '{}' and is not migrated",
                   origin, partition, t.owner_table);
      continue;
    }
    partitions_of[t.owner_table].push_back(&t);
  }
  for (const Milvus1xTableRow& t : tables) {
    if (!IsLiveTable(t) || !t.owner_table.empty()) continue;
    ordered.push_back(&t);
    auto it = partitions_of.find(t.table_id);
    if (it != partitions_of.end()) ordered.insert(ordered.end(), it->second.begin(), it->second.end());
  }
  if (ordered.empty()) {
    return absl::InvalidArgumentError(StrCat(origin, ": no live collection"));
  }

  std::vector<TableBuild> builds(ordered.size());
  std::unordered_map<std::string, size_t> build_of;  // table_id -> index into builds
  for (size_t i = 0; i < ordered.size(); ++i) {
    const Milvus1xTableRow& row = *ordered[i];
    if (row.dimension <= 0) {
      return absl::DataLossError(StrCat(origin, ": table '", row.table_id, "' has dimension ",
                                        row.dimension, ", expected a positive number"));
    }
    Milvus1xTable& t = builds[i].table;
    t.table_id = row.table_id;
    t.owner_table = row.owner_table;
    t.partition_tag = row.partition_tag;
    t.dimension = row.dimension;
    t.metric_type = row.metric_type;
    t.engine_type = row.engine_type;
    t.index_params = row.index_params;
    build_of.emplace(row.table_id, i);
  }

  for (size_t fi = 0; fi < files.size(); ++fi) {
    const Milvus1xFileRow& f = files[fi];
    auto b = build_of.find(f.table_id);
    if (b == build_of.end()) continue;  // a dropped or unknown table's file
    TableBuild& tb = builds[b->second];
    if (IsLiveRaw(f.file_type)) {
      if (f.segment_id.empty()) {
        return absl::DataLossError(StrCat(origin, ": table '", f.table_id, "' ", DescribeFile(f),
                                          " holds raw data but has no segment_id"));
      }
      if (f.row_count < 0 || f.file_size < 0) {
        return absl::DataLossError(StrCat(origin, ": table '", f.table_id, "' segment ",
                                          f.segment_id, " ", DescribeFile(f), " has row_count ",
                                          f.row_count, " and file_size ", f.file_size,
                                          ", expected both >= 0"));
      }
      auto [it, fresh] = tb.raw_by_segment.emplace(f.segment_id, fi);
      if (!fresh) {
        return absl::DataLossError(StrCat(
            origin, ": table '", f.table_id, "' segment ", f.segment_id,
            " has two live raw files: ", DescribeFile(files[it->second]), " and ",
            DescribeFile(f), "; a segment directory holds one .rv, so one of the rows is stale"));
      }
      tb.table.segments.push_back(Milvus1xSegment{f.segment_id, f.row_count, f.file_size,
                                                  f.file_type});
    } else if (f.file_type == kFileIndex) {
      // Counted below only when no raw file backs it; an INDEX row beside its BACKUP raw
      // file is just the index of data we migrate anyway.
      tb.index_segments.insert(f.segment_id);
    } else if (f.file_type >= kFileNew && f.file_type <= kFileBackup) {
      ++tb.table.skipped_files;  // NEW, TO_DELETE, NEW_MERGE, NEW_INDEX: rows live elsewhere
    } else {
      // 1.x writes only types 0 to 7; another value is a damaged or foreign store, and the
      // file may be the only copy of its rows.
      return absl::DataLossError(StrCat(
          origin, ": table '", f.table_id, "' segment ",
          f.segment_id.empty() ? "(no segment_id)" : f.segment_id, " ", DescribeFile(f),
          " has an unknown file_type; 1.x knows 0 (NEW) to 7 (BACKUP), so whether it holds "
          "live rows cannot be told"));
    }
  }

  Milvus1xMeta meta;
  meta.tables.reserve(builds.size());
  for (TableBuild& tb : builds) {
    Milvus1xTable& t = tb.table;
    std::sort(t.segments.begin(), t.segments.end(),
              [](const Milvus1xSegment& a, const Milvus1xSegment& b) {
                return SegmentIdLess(a.segment_id, b.segment_id);
              });
    for (const std::string& seg : tb.index_segments) {
      if (tb.raw_by_segment.count(seg) == 0) t.index_only_segments.push_back(seg);
    }
    std::sort(t.index_only_segments.begin(), t.index_only_segments.end(), SegmentIdLess);
    for (const Milvus1xSegment& s : t.segments) t.rows += s.rows;
    meta.rows += t.rows;
    meta.tables.push_back(std::move(t));
  }
  return meta;
}

}  // namespace mm
