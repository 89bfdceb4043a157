// The Insert/Upsert sink (loader.mode: insert | upsert): the first SinkInput::kBatches sink.
// Each task's batches go to Milvus as the source yields them, for targets without bulk import
// (Milvus Lite) or that cannot reach the dump's bucket. A batch is cut into requests by bytes,
// under the target's gRPC message limit; a task keeps several requests in flight; a request
// refused for a rate limit or quota (ResourceExhausted) or lost with the connection
// (Unavailable) is sent again with growing pauses.
//
// No row twice: the pipeline checkpoints, before a batch is sent, how many rows after the
// last acknowledged position may reach Milvus (TaskRecord::rows_in_doubt), and after each
// Flush the new acknowledged position. A rerun reads on from that position and sends the rows
// in doubt with Upsert, which replaces a row of the same primary key rather than adding one;
// every later row goes with Insert. With loader.mode upsert every row goes with Upsert.
//
// Thread-safety: Prepare and Finish from one thread; OpenTask concurrently, each TaskWriter
// on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/migration_config.h"
#include "core/batch.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "pipeline/import_sink.h"
#include "pipeline/sink.h"

namespace mm {

// Milvus' own default limit on a request it receives (proxy.grpc.serverMaxRecvSize).
inline constexpr int64_t kDefaultMilvusSendLimit = int64_t{64} << 20;
// A request stays at most this big even when the target takes more: the rows of a request
// are held two or three times over (batch, request, wire) while it is in flight.
inline constexpr int64_t kMaxRequestBytes = int64_t{8} << 20;

struct InsertOptions {
  bool upsert = false;  // loader.mode upsert: every row by Upsert
  // The target's message limit in bytes (target.milvus2x.grpc.maxCallSendMsgSize);
  // requests are cut at half of it (the estimate is approximate), at most kMaxRequestBytes.
  int64_t send_limit_bytes = kDefaultMilvusSendLimit;
  int in_flight = 2;  // requests in flight per task
  // Rounds of sending one request again after the client's own retries (retry.budgetSeconds)
  // gave up on a transient error, with pauses doubling from 1 s.
  int send_rounds = 3;
};

// The bytes of one request the sink cuts at, from InsertOptions::send_limit_bytes.
int64_t RequestBytes(int64_t send_limit_bytes);

// About the bytes row `row` of `batch` adds to an Insert request (schema.FieldData): vectors
// at their width, numbers as varints at most 10 bytes, strings with their length prefix.
int64_t EstimateRequestRowBytes(const Batch& batch, int64_t row);

struct RowRange {
  int64_t offset = 0;
  int64_t rows = 0;
  bool operator==(const RowRange&) const = default;
};
// Cuts rows [0, batch.num_rows()) into consecutive ranges whose estimated request bytes stay
// within `max_bytes`, each of at least one row; a range also ends at row `split_at` (when
// 0 < split_at < num_rows), where the rows in doubt end. Empty for an empty batch.
std::vector<RowRange> CutRequests(const Batch& batch, int64_t max_bytes, int64_t split_at = -1);

// Rows [offset, offset + rows) of `batch`, same schema and partition, as a batch of their own.
Batch SliceRows(const Batch& batch, int64_t offset, int64_t rows);

// What to do after a request failed, once the client's own retries are spent.
enum class SendAction {
  kRetry,          // rate limit / quota (ResourceExhausted) or a dropped connection
                   // (Unavailable): Milvus did not take the rows; send them again
  kRetryAsUpsert,  // the call's deadline passed (DeadlineExceeded): Milvus may have taken the
                   // rows; only Upsert may send them again
  kFail,           // anything else: bad data, a missing collection, bad credentials
};
// `can_upsert`: the collection's primary key is not autoID (Upsert needs its values).
SendAction ClassifySendError(const Status& status, bool can_upsert);

class InsertSink final : public Sink {
 public:
  // `milvus` must outlive the sink. `load` says what to do with the collection (ifExists,
  // index, load) and the observer; `insert` how to send.
  InsertSink(MilvusClient* milvus, LoadOptions load, InsertOptions insert)
      : milvus_(milvus), load_(std::move(load)), insert_(insert) {}

  SinkInput input() const override { return SinkInput::kBatches; }
  std::string_view kind() const override { return insert_.upsert ? "upsert" : "insert"; }
  // As ImportSink: each target collection can take its rows (ifExists, schema, this
  // migration's mark).
  Status CheckTargets(Storage& output, const std::string& source_id,
                      const std::vector<CollectionPlan>& plans) override;
  // Starts the load state over if stale (forgetting the tasks sent to the collection it
  // refers to, so they are sent again), then creates or adopts the collection per ifExists.
  Status Prepare(ManifestStore& store, size_t collection) override;
  Result<std::unique_ptr<TaskWriter>> OpenTask(ManifestStore& store, size_t collection,
                                               const SourceTask& task) override;
  // Flush, then the count check: exactly rows_before + the rows the tasks sent. When rows
  // went by Upsert, Milvus' statistics count a replaced row until compaction, so the exact
  // count is a count(*) query once the collection is loaded (target.create.loadCollection);
  // without it the count may exceed the rows by those replaced, never fall short. Then the
  // index and the load, if asked; marks the load verified.
  Status Finish(ManifestStore& store, size_t collection) override;

 private:
  MilvusClient* milvus_;
  LoadOptions load_;
  InsertOptions insert_;
};

}  // namespace mm
