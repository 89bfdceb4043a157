// The bounds of migration.yaml's numbers (README, "Keys this tool adds" and the source
// sections). A number outside them is refused when the config is read, naming the key and
// the range, so no later arithmetic (KB to bytes, seconds to a deadline) can overflow.
#pragma once

#include <cstdint>

namespace mm {

// dumper.worker.limit, loader.worker.limit: threads, and imports in flight.
inline constexpr int64_t kMaxWorkers = 1024;
// loader.import.timeoutSeconds: one week.
inline constexpr int64_t kMaxImportTimeoutS = 7 * 24 * 3600;
// retry.budgetSeconds: one day.
inline constexpr int64_t kMaxRetryBudgetS = 24 * 3600;
// target.create.collection.shardsNum, meta.milvus.shardNum. Milvus' own limit is its
// proxy.maxShardNum setting (16 by default), which only the server knows.
inline constexpr int64_t kMaxShards = 64;
// target.create.collection.dim, meta.fields[].dims: Milvus' proxy.maxDimension default.
inline constexpr int64_t kMaxDim = 32768;
// dumper.worker.reader.bufferSize for Elasticsearch (documents a page). ES itself refuses
// pages over index.max_result_window (10000 by default).
inline constexpr int64_t kMaxEsPageDocs = 100000;
// source.es.slices: ES' index.max_slices_per_scroll default.
inline constexpr int64_t kMaxEsSlices = 1024;

}  // namespace mm
