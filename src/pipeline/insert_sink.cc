#include "pipeline/insert_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <thread>

#include "core/cancellation.h"
#include "pipeline/collection_fit.h"

namespace mm {

int64_t RequestBytes(int64_t send_limit_bytes) {
  const int64_t limit = send_limit_bytes > 0 ? send_limit_bytes : kDefaultMilvusSendLimit;
  return std::max<int64_t>(1, std::min(limit / 2, kMaxRequestBytes));
}

int64_t EstimateRequestRowBytes(const Batch& batch, int64_t row) {
  const Schema& schema = *batch.schema();
  int64_t bytes = 0;
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const Column& column = batch.column(i);
    switch (schema.fields[i].type) {
      case DataType::kBool:
        bytes += 1;
        break;
      case DataType::kInt8:
      case DataType::kInt16:
      case DataType::kInt32:
      case DataType::kInt64:
        bytes += 10;  // a varint; negative numbers take all ten bytes
        break;
      default:
        if (column.width() > 0) {
          bytes += column.width();
        } else {
          // The value, its length prefix and its tag.
          bytes += static_cast<int64_t>(column.value(row).size()) + 6;
        }
    }
  }
  return bytes;
}

std::vector<RowRange> CutRequests(const Batch& batch, int64_t max_bytes, int64_t split_at) {
  std::vector<RowRange> out;
  const int64_t n = batch.num_rows();
  RowRange current;
  int64_t bytes = 0;
  for (int64_t row = 0; row < n; ++row) {
    const int64_t b = EstimateRequestRowBytes(batch, row);
    if (current.rows > 0 && (bytes + b > max_bytes || row == split_at)) {
      out.push_back(current);
      current = RowRange{row, 0};
      bytes = 0;
    }
    current.rows += 1;
    bytes += b;
  }
  if (current.rows > 0) out.push_back(current);
  return out;
}

Batch SliceRows(const Batch& batch, int64_t offset, int64_t rows) {
  Batch out(batch.schema(), batch.partition());
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const Column& in = batch.column(i);
    Column& column = out.column(i);
    if (in.width() > 0) {
      column.AppendFixed(in.row(offset), rows);
    } else {
      for (int64_t r = offset; r < offset + rows; ++r) column.AppendValue(in.value(r));
    }
  }
  return out;
}

SendAction ClassifySendError(const Status& status, bool can_upsert) {
  if (absl::IsResourceExhausted(status) || absl::IsUnavailable(status)) {
    // A message over the size limit is ResourceExhausted too, and never helped by sending it
    // again.
    const std::string message(status.message());
    if (message.find("larger than max") != std::string::npos ||
        message.find("message too large") != std::string::npos) {
      return SendAction::kFail;
    }
    return SendAction::kRetry;
  }
  if (absl::IsDeadlineExceeded(status)) {
    return can_upsert ? SendAction::kRetryAsUpsert : SendAction::kFail;
  }
  return SendAction::kFail;
}

namespace {

// One task's requests. Write cuts and sends without waiting for the answers, up to
// `in_flight` at once; Flush waits for them all and returns the first error.
class InsertTaskWriter final : public TaskWriter {
 public:
  InsertTaskWriter(MilvusClient* milvus, std::string collection, const InsertOptions& options,
                   bool all_upsert, int64_t rows_in_doubt, bool can_upsert)
      : milvus_(milvus),
        collection_(std::move(collection)),
        options_(options),
        request_bytes_(RequestBytes(options.send_limit_bytes)),
        all_upsert_(all_upsert),
        rows_in_doubt_(rows_in_doubt),
        can_upsert_(can_upsert) {}

  ~InsertTaskWriter() override {
    for (auto& f : pending_) f.wait();
  }

  Status Write(const Batch& batch) override {
    RETURN_IF_ERROR(first_error_);
    // Rows of this batch still in doubt from an earlier run go by Upsert.
    const int64_t doubt_here = std::clamp<int64_t>(rows_in_doubt_ - rows_seen_, 0,
                                                   batch.num_rows());
    for (const RowRange& range : CutRequests(batch, request_bytes_, doubt_here)) {
      const bool upsert = all_upsert_ || range.offset < doubt_here;
      while (static_cast<int>(pending_.size()) >= std::max(1, options_.in_flight)) {
        RETURN_IF_ERROR(WaitOldest());
      }
      auto rows = std::make_shared<Batch>(SliceRows(batch, range.offset, range.rows));
      pending_.push_back(std::async(std::launch::async, [this, rows, upsert] {
        return Send(*rows, upsert);
      }));
    }
    rows_seen_ += batch.num_rows();
    return absl::OkStatus();
  }

  Status Flush() override {
    while (!pending_.empty()) {
      Status st = WaitOldest();
      if (!st.ok() && first_error_.ok()) first_error_ = st;
    }
    return first_error_;
  }

 private:
  Status WaitOldest() {
    Status st = pending_.front().get();
    pending_.pop_front();
    if (!st.ok() && first_error_.ok()) first_error_ = st;
    return st;
  }

  // One request, sent again while the error allows (see ClassifySendError).
  Status Send(const Batch& rows, bool upsert) const {
    auto pause = std::chrono::seconds(1);
    for (int round = 0;; ++round) {
      if (upsert && !can_upsert_) {
        return absl::FailedPreconditionError(StrCat(
            "collection '", collection_, "': its primary key is autoID, so rows cannot be "
            "sent by Upsert (loader.mode upsert, or rows a killed run may have inserted)"));
      }
      Status st = upsert ? milvus_->Upsert(collection_, "", rows)
                         : milvus_->Insert(collection_, "", rows);
      if (st.ok()) return st;
      const SendAction action = ClassifySendError(st, can_upsert_);
      if (action == SendAction::kFail || round >= options_.send_rounds) {
        return Annotate(st, StrCat(upsert ? "upsert" : "insert", " of ", rows.num_rows(),
                                   " rows into '", collection_, "'"));
      }
      spdlog::warn("load: {} of {} rows into '{}' failed ({}); sending them again{} in {} s",
                   upsert ? "upsert" : "insert", rows.num_rows(), collection_,
                   std::string(st.message()),
                   action == SendAction::kRetryAsUpsert ? " by Upsert" : "", pause.count());
      if (action == SendAction::kRetryAsUpsert) upsert = true;
      std::this_thread::sleep_for(pause);
      pause *= 2;
    }
  }

  MilvusClient* milvus_;
  const std::string collection_;
  const InsertOptions options_;
  const int64_t request_bytes_;
  const bool all_upsert_;
  const int64_t rows_in_doubt_;
  const bool can_upsert_;
  int64_t rows_seen_ = 0;
  std::deque<std::future<Status>> pending_;
  Status first_error_;
};

}  // namespace

Status InsertSink::CheckTargets(Storage& output, const std::string& source_id,
                                const std::vector<CollectionPlan>& plans) {
  ImportSink same_checks(milvus_, load_);
  return same_checks.CheckTargets(output, source_id, plans);
}

Status InsertSink::Prepare(ManifestStore& store, size_t collection) {
  const std::string name = store.Snapshot().collections[collection].schema.collection;
  RETURN_IF_ERROR(ResetStaleLoadState(*milvus_, store, collection, load_));
  const Manifest m = store.Snapshot();
  const CollectionManifest& cm = m.collections[collection];
  if (!cm.load.prepared && !cm.tasks.empty()) {
    // The rows these tasks sent went to a collection this load no longer counts on (another
    // Milvus, dropped, or recreated now): send them all again.
    spdlog::info("load: '{}': sending every task again into the prepared collection", name);
    RETURN_IF_ERROR(store.Update([&](Manifest& mm) { mm.collections[collection].tasks.clear(); }));
  }
  const FieldSchema* pk = cm.schema.PrimaryKey();
  if (insert_.upsert && pk != nullptr && pk->auto_id) {
    return absl::InvalidArgumentError(StrCat(
        "[loader.mode] upsert needs the primary key's values, but '", name, "."
        , pk->name, "' is autoID: use loader.mode insert"));
  }
  Status prepared = PrepareCollection(*milvus_, store, collection, load_,
                                      PlanId(m.source_id, name), ManifestStore::kFileName);
  if (!absl::IsUnimplemented(prepared) || cm.partitions.empty()) return prepared;
  // Milvus Lite has no partitions (HasPartition and CreatePartition are unimplemented): the
  // rows would lose theirs. Leave nothing half-made behind.
  const CollectionManifest now = store.Snapshot().collections[collection];
  if (now.load.created && milvus_->DropCollection(name).ok()) {
    RETURN_IF_ERROR(store.Update([&](Manifest& mm) {
      mm.collections[collection].load = LoadState{};
      mm.collections[collection].load.target = load_.target;
    }));
  }
  std::string names;
  for (const auto& p : cm.partitions) names += StrCat(names.empty() ? "" : ", ", "'", p, "'");
  return absl::FailedPreconditionError(StrCat(
      "collection '", name, "' has partitions (", names, ") but the target Milvus at ",
      milvus_->endpoint(), " has none (Milvus Lite has no partitions): load it into a Milvus "
      "with partitions, or leave this collection out (--col)"));
}

Result<std::unique_ptr<TaskWriter>> InsertSink::OpenTask(ManifestStore& store,
                                                         size_t collection,
                                                         const SourceTask& task) {
  std::string name;
  bool all_upsert = insert_.upsert;
  bool can_upsert = true;
  int64_t doubt = 0;
  store.Read([&](const Manifest& m) {
    const CollectionManifest& cm = m.collections[collection];
    name = cm.schema.collection;
    all_upsert |= cm.load.resend_as_upsert;
    const FieldSchema* pk = cm.schema.PrimaryKey();
    can_upsert = pk == nullptr || !pk->auto_id;
    if (auto it = cm.tasks.find(task.id); it != cm.tasks.end()) doubt = it->second.rows_in_doubt;
  });
  if (doubt > 0) {
    spdlog::info("load: task {} of '{}': {} row(s) may have reached Milvus in an earlier run; "
                 "sending them again by Upsert", task.id, name, doubt);
  }
  if (all_upsert || doubt > 0) {
    RETURN_IF_ERROR(store.Update([&](Manifest& m) {
      m.collections[collection].load.rows_replaced = true;
    }));
  }
  return std::unique_ptr<TaskWriter>(std::make_unique<InsertTaskWriter>(
      milvus_, name, insert_, all_upsert, doubt, can_upsert));
}

Status InsertSink::Finish(ManifestStore& store, size_t collection) {
  const CollectionManifest cm = store.Snapshot().collections[collection];
  const std::string& name = cm.schema.collection;
  if (cm.load.verified) {
    spdlog::info("load: '{}' was loaded and checked by an earlier run", name);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(CheckCancelled(StrCat("load of '", name, "'")));
  RETURN_IF_ERROR(milvus_->Flush(name));
  const bool replaced_possible =
      insert_.upsert || cm.load.resend_as_upsert || cm.load.rows_replaced;
  const int64_t expected = cm.load.rows_before + cm.total_rows;
  ASSIGN_OR_RETURN(int64_t count, milvus_->CountRows(name));
  auto wrong = [&](int64_t n, const char* how) {
    return absl::DataLossError(StrCat("collection '", name, "' counts ", n, " rows (", how,
                                      ") after the load, expected ", expected, " (",
                                      cm.load.rows_before, " before + ", cm.total_rows,
                                      " sent)"));
  };
  if (count < expected) return wrong(count, "statistics");
  RETURN_IF_ERROR(IndexAndLoad(*milvus_, cm, load_));
  if (load_.load_collection) {
    // Loaded: count(*) counts live rows exactly, whatever Upsert replaced.
    ASSIGN_OR_RETURN(int64_t live, milvus_->QueryCount(name));
    if (live != expected) return wrong(live, "count(*)");
    spdlog::info("load: collection '{}' holds {} rows (count(*)), as expected", name, live);
  } else if (count == expected) {
    spdlog::info("load: collection '{}' holds {} rows, as expected", name, count);
  } else if (replaced_possible) {
    spdlog::warn("load: '{}': Milvus' statistics count {} rows, {} more than sent: rows "
                 "replaced by Upsert are counted until compaction (load the collection, "
                 "target.create.loadCollection, for an exact count)",
                 name, count, count - expected);
  } else {
    return wrong(count, "statistics");
  }
  return store.Update([&](Manifest& m) { m.collections[collection].load.verified = true; });
}

}  // namespace mm
