// verify: proof that a Milvus collection holds exactly the rows its source holds. The source is
// read through the same plan and readers as `dump` (and the same invalid-row policy), Milvus
// through Strong-consistency queries, one primary-key range at a time:
//   1. the target's pk domain is cut into ranges of at most a few thousand rows (count(*)
//      queries halve ranges until each is small enough: pk_range.h);
//   2. every source row and every target row (partition, pk, every field, by value: see
//      row_hash.h) is hashed into its range's digest; neither side is held in memory;
//   3. counts per collection, partition and range, and the digests, are compared; only ranges
//      that differ are read again row by row, to name the pks missing, extra, held twice, in
//      another partition, or with a field that differs (named).
// Thread-safe to call from any thread; uses `options.source_workers` + `options.target_workers`
// threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "milvus/milvus_client.h"
#include "pipeline/run_observer.h"
#include "pipeline/row_validator.h"
#include "sources/source.h"

namespace mm {

struct VerifyOptions {
  // Share of pk ranges whose digests are compared, 0 < sample_percent <= 100; counts are
  // always checked in full.
  double sample_percent = 100;
  uint64_t seed = 0;  // 0: a random seed (recorded in the report)
  int source_workers = 2;  // tasks read concurrently (dumper.worker.limit)
  int target_workers = 2;  // ranges queried concurrently (loader.worker.limit)
  InvalidRows invalid_rows = InvalidRows::kFail;  // as the dump: skipped rows are not expected
  // Rows one range may hold; 0: chosen from the row size so one query answers about 16 MB
  // (at most 8192, under Milvus 2.3's 16384-row query window).
  int64_t max_range_rows = 0;
  int max_detailed_ranges = 16;  // differing ranges read again row by row
  // Source rows kept in memory (in all) to name the differences of those ranges: of a range
  // with more, only the smallest pks are compared (the report says up to where).
  int64_t max_detail_rows = 65536;
  int max_examples = 5;          // pks named per kind of difference
  // When the collection has no index, verify creates one of these (needed to load it for
  // queries) and says so: FLAT for float vectors, BIN_FLAT for binary ones.
  bool create_index_if_missing = true;
  // Sees the verify phase: the source rows (and their bytes) read, per collection, out of
  // the plan's; may be null. Must outlive the run.
  RunObserver* observer = nullptr;
};

// One kind of difference, counted over the ranges read row by row, with a few pks.
struct DiffKind {
  int64_t count = 0;
  std::vector<std::string> examples;  // "id 17", "id 17: field 'data'", ...
};

struct PartitionCounts {
  std::string name;
  int64_t source_rows = 0;
  int64_t target_rows = 0;
};

struct CollectionVerify {
  std::string name;
  std::string note;  // e.g. lossy FAISS: compared against the same reconstruction the dump wrote
  int64_t source_rows = 0;
  int64_t target_rows = 0;
  std::vector<PartitionCounts> partitions;
  int64_t ranges = 0;            // pk ranges
  int64_t ranges_sampled = 0;    // ranges whose digests were compared
  int64_t ranges_differing = 0;  // count or digest differs
  int64_t ranges_detailed = 0;   // read again row by row
  std::vector<std::string> differing_ranges;  // the first few, "[5, 9)"
  int64_t rows_hashed_source = 0;
  int64_t rows_hashed_target = 0;
  DiffKind missing;          // source pk not in Milvus
  DiffKind extra;            // Milvus pk not in the source
  DiffKind duplicate;        // pk held by more than one row in Milvus
  DiffKind wrong_partition;  // pk in another partition than the source's
  DiffKind different;        // same pk, a field differs (named)
  std::string not_compared;  // why rows could not be compared (e.g. Milvus-generated pks)
  // Ranges read row by row only in part (too many source rows to keep), and how far.
  std::vector<std::string> detail_notes;
  bool match = true;
  double seconds = 0;
};

struct VerifyReport {
  bool match = true;
  double sample_percent = 100;
  uint64_t seed = 0;
  std::vector<CollectionVerify> collections;
  double seconds = 0;
  int64_t source_rows = 0;
  int64_t target_rows = 0;

  std::string ToJson() const;  // the report verify-report.json holds
  std::string Summary() const;  // a few lines for people
};

// Compares every collection `source` plans with the Milvus collection of the same name.
// A difference is not an error: it is in the report (match = false). Errors: the source's or
// Milvus' (NotFound naming a collection that is not in Milvus), Cancelled on Ctrl-C.
// `milvus` must outlive the call.
Result<VerifyReport> RunVerify(Source& source, MilvusClient& milvus, const VerifyOptions& options);

}  // namespace mm
