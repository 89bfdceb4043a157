#include "verify/verifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/cancellation.h"
#include "pipeline/parallel_for.h"
#include "verify/pk_range.h"
#include "verify/row_hash.h"

namespace mm {
namespace {

using Clock = std::chrono::steady_clock;

// Milvus 2.3 answers at most this many rows a query (offset + limit).
constexpr int64_t kQueryWindow = 16384;
constexpr int64_t kRangeRowsCap = 8192;
constexpr int64_t kRangeBytes = 16 << 20;
constexpr size_t kMaxListedRanges = 10;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What a row of a batch is: its range, its pk as text for people, its pk as a map key.
struct PkColumn {
  const Column* column;
  bool varchar;
  std::string name;

  size_t RangeOf(const PkRanges& ranges, int64_t row) const {
    return varchar ? ranges.Find(column->value(row)) : ranges.Find(column->scalar<int64_t>(row));
  }
};

// A pk as a map key whose byte order is the pk order: VarChar as it is; Int64 as 8 big-endian
// bytes with the sign bit flipped.
std::string OrderedKey(const PkColumn& pk, int64_t row) {
  if (pk.varchar) return std::string(pk.column->value(row));
  uint64_t u = static_cast<uint64_t>(pk.column->scalar<int64_t>(row)) ^ (uint64_t{1} << 63);
  std::string key(8, '\0');
  for (int b = 7; b >= 0; --b, u >>= 8) key[static_cast<size_t>(b)] = static_cast<char>(u & 0xFF);
  return key;
}

void Note(DiffKind* kind, std::string example, int max_examples) {
  ++kind->count;
  if (static_cast<int>(kind->examples.size()) < max_examples) {
    kind->examples.push_back(std::move(example));
  }
}

// A source row of a range read row by row.
struct SourceRow {
  std::string partition;
  Hash128 row;
  std::vector<Hash128> fields;
  bool seen = false;
};

class CollectionVerifier {
 public:
  CollectionVerifier(Source& source, MilvusClient& milvus, const CollectionPlan& plan,
                     const VerifyOptions& options, std::mt19937_64& rng)
      : source_(source), milvus_(milvus), plan_(plan), schema_(*plan.schema),
        options_(options), rng_(rng) {
    out_.name = schema_.collection;
    for (const auto& f : schema_.fields) partition_key_ |= f.partition_key;
  }

  Result<CollectionVerify> Run() {
    const auto started = Clock::now();
    ASSIGN_OR_RETURN(bool exists, milvus_.HasCollection(out_.name));
    if (!exists) {
      // Still count the source, so the report says what is missing.
      RETURN_IF_ERROR(CountSourceOnly());
      for (const auto& [name, rows] : source_partition_rows_) {
        out_.partitions.push_back(PartitionCounts{.name = name, .source_rows = rows});
        out_.source_rows += rows;
      }
      out_.not_compared = "the collection is not in Milvus";
      out_.match = false;
      out_.seconds = SecondsSince(started);
      return std::move(out_);
    }
    RETURN_IF_ERROR(EnsureLoaded());
    // Every read as of one moment: the same rows for each query, without a Strong query's
    // wait for the server each time. A server without AllocTimestamp reads Strong.
    Result<uint64_t> ts = milvus_.AllocTimestamp();
    if (ts.ok()) {
      ts_ = *ts;
    } else {
      spdlog::debug("verify: no AllocTimestamp ({}); queries are Strong",
                    std::string(ts.status().message()));
    }
    const FieldSchema* pk = schema_.PrimaryKey();
    // Rows are matched by primary key; when Milvus made the keys, the counts are all there is
    // to compare, and matching counts are the collection's match (the report says so).
    bool counted_only = false;
    if (pk == nullptr || pk->auto_id) {
      RETURN_IF_ERROR(CountSourceOnly());
      out_.not_compared = "Milvus generates the primary keys, so rows are counted, not compared";
      counted_only = true;
    } else {
      pk_index_ = schema_.FieldIndex(pk->name);
      varchar_ = pk->type == DataType::kVarChar;
      RETURN_IF_ERROR(SplitRanges(pk->name));
      RETURN_IF_ERROR(HashSource());
      RETURN_IF_ERROR(HashTarget(pk->name));
      RETURN_IF_ERROR(Detail(pk->name));
    }
    RETURN_IF_ERROR(CountTarget());
    out_.match = (out_.not_compared.empty() || counted_only) &&
                 out_.source_rows == out_.target_rows && out_.ranges_differing == 0;
    for (const auto& p : out_.partitions) out_.match &= p.source_rows == p.target_rows;
    out_.seconds = SecondsSince(started);
    return std::move(out_);
  }

 private:
  // Queries need the collection loaded, and loading needs an index.
  Status EnsureLoaded() {
    ASSIGN_OR_RETURN(bool indexed, milvus_.HasIndex(out_.name));
    if (!indexed) {
      if (!options_.create_index_if_missing) {
        return absl::FailedPreconditionError(
            StrCat("verify: collection '", out_.name, "' has no index, so it cannot be loaded "
                   "for queries; set target.create.index.type"));
      }
      for (const auto& f : schema_.fields) {
        if (!IsVectorType(f.type)) continue;
        const bool binary = f.type == DataType::kBinaryVector;
        const char* type = binary ? "BIN_FLAT"
                           : f.type == DataType::kSparseFloatVector ? "SPARSE_INVERTED_INDEX"
                                                                    : "FLAT";
        std::string metric = plan_.metric_type;
        if (metric.empty()) metric = binary ? "HAMMING" : "L2";
        spdlog::warn("verify: collection '{}' has no index; creating {} ({}) on '{}' to load it "
                     "for queries", out_.name, type, metric, f.name);
        RETURN_IF_ERROR(milvus_.CreateIndex(out_.name, f.name, type, metric));
      }
    }
    return milvus_.LoadCollection(out_.name);
  }

  int64_t MaxRangeRows() const {
    if (options_.max_range_rows > 0) return std::min(options_.max_range_rows, kQueryWindow - 1);
    int64_t row_bytes = 0;
    for (const auto& f : schema_.fields) {
      const int64_t w = f.FixedWidth();
      row_bytes += w > 0 ? w : 256;
    }
    return std::clamp<int64_t>(kRangeBytes / std::max<int64_t>(row_bytes, 1), 256, kRangeRowsCap);
  }

  std::string BoundExpr(const std::string& pk, const std::optional<PkBound>& lo,
                        const std::optional<PkBound>& hi) const {
    auto literal = [&](const PkBound& b) {
      return varchar_ ? QuoteExprString(b.s) : std::to_string(b.i);
    };
    std::string a = lo ? StrCat(pk, " >= ", literal(*lo)) : "";
    std::string b = hi ? StrCat(pk, " < ", literal(*hi)) : "";
    if (a.empty()) return b;
    if (b.empty()) return a;
    return StrCat(a, " && ", b);
  }

  Status SplitRanges(const std::string& pk) {
    std::vector<int64_t> counts;
    ASSIGN_OR_RETURN(
        PkRanges ranges,
        SplitByCount(varchar_, MaxRangeRows(),
                     [&](const std::optional<PkBound>& lo,
                         const std::optional<PkBound>& hi) -> Result<int64_t> {
                       RETURN_IF_ERROR(CheckCancelled("verify"));
                       return milvus_.QueryCount(out_.name, "", BoundExpr(pk, lo, hi), ts_);
                     },
                     &counts));
    ranges_ = std::make_unique<PkRanges>(std::move(ranges));
    target_counts_ = std::move(counts);
    const size_t n = ranges_->size();
    out_.ranges = static_cast<int64_t>(n);
    sampled_.assign(n, false);
    std::uniform_real_distribution<double> coin(0, 100);
    for (size_t i = 0; i < n; ++i) {
      sampled_[i] = options_.sample_percent >= 100 || coin(rng_) < options_.sample_percent;
      out_.ranges_sampled += sampled_[i] ? 1 : 0;
    }
    source_counts_.assign(n, 0);
    source_digests_.assign(n, RowDigest{});
    target_digests_.assign(n, RowDigest{});
    spdlog::info("verify: collection '{}': {} pk range(s) of at most {} rows, {} to compare",
                 out_.name, n, MaxRangeRows(), out_.ranges_sampled);
    return absl::OkStatus();
  }

  // Runs `per_batch(batch, local)` over every batch of every task, `workers` tasks at a time,
  // then `merge(local)` once per task under a lock.
  template <typename Local, typename PerBatch, typename Merge>
  Status ReadSource(PerBatch&& per_batch, Merge&& merge) {
    std::mutex mu;
    return ParallelFor(options_.source_workers, plan_.tasks.size(), [&](size_t t) -> Status {
      const SourceTask& task = plan_.tasks[t];
      ASSIGN_OR_RETURN(std::unique_ptr<BatchReader> inner, source_.OpenTask(task));
      ValidatingBatchReader reader(std::move(inner), options_.invalid_rows, task.id, 0);
      Local local;
      while (true) {
        RETURN_IF_ERROR(CheckCancelled("verify"));
        ASSIGN_OR_RETURN(std::optional<Batch> batch, reader.Next());
        if (!batch) break;
        RETURN_IF_ERROR(batch->Validate());
        per_batch(*batch, local);
        if (options_.observer != nullptr) {
          options_.observer->Add(out_.name, batch->num_rows(), batch->size_bytes());
        }
      }
      std::lock_guard lock(mu);
      merge(local);
      return absl::OkStatus();
    });
  }

  void AddPartitionRows(const std::map<std::string, int64_t>& rows) {
    for (const auto& [name, n] : rows) source_partition_rows_[name] += n;
  }

  Status CountSourceOnly() {
    using Local = std::map<std::string, int64_t>;
    return ReadSource<Local>(
        [&](const Batch& b, Local& local) {
          local[std::string(PartitionName(b.partition()))] += b.num_rows();
        },
        [&](Local& local) { AddPartitionRows(local); });
  }

  // The hashes of row `r` of `b`: every field's, then the row's (with `partition`).
  void HashRowOf(const Batch& b, std::string_view partition, int64_t r,
                 std::vector<Hash128>* fields, Hash128* row) const {
    fields->resize(b.num_columns());
    for (size_t c = 0; c < b.num_columns(); ++c) {
      (*fields)[c] = HashFieldValue(schema_.fields[c], b.column(c), r);
    }
    *row = HashRow(partition, *fields);
  }

  // The pk an OrderedKey stands for, as text (the VarChar itself, the Int64 in decimal).
  std::string KeyText(const std::string& key) const {
    if (varchar_) return key;
    uint64_t u = 0;
    for (char c : key) u = (u << 8) | static_cast<unsigned char>(c);
    return std::to_string(static_cast<int64_t>(u ^ (uint64_t{1} << 63)));
  }

  PkColumn PkOf(const Batch& b) const {
    return PkColumn{&b.column(static_cast<size_t>(pk_index_)), varchar_,
                    schema_.fields[static_cast<size_t>(pk_index_)].name};
  }

  Status HashSource() {
    struct Local {
      std::map<std::string, int64_t> partitions;
      std::vector<int64_t> counts;
      std::vector<RowDigest> digests;
      int64_t hashed = 0;
    };
    const size_t n = ranges_->size();
    return ReadSource<Local>(
        [&](const Batch& b, Local& local) {
          if (local.counts.empty()) {
            local.counts.assign(n, 0);
            local.digests.assign(n, RowDigest{});
          }
          const std::string_view partition = PartitionName(b.partition());
          local.partitions[std::string(partition)] += b.num_rows();
          const PkColumn pk = PkOf(b);
          std::vector<Hash128> fields;
          Hash128 row;
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            const size_t range = pk.RangeOf(*ranges_, r);
            ++local.counts[range];
            if (!sampled_[range]) continue;
            HashRowOf(b, partition, r, &fields, &row);
            local.digests[range].Add(row);
            ++local.hashed;
          }
        },
        [&](Local& local) {
          AddPartitionRows(local.partitions);
          out_.rows_hashed_source += local.hashed;
          for (size_t i = 0; i < local.counts.size(); ++i) {
            source_counts_[i] += local.counts[i];
            source_digests_[i].Merge(local.digests[i]);
          }
        });
  }

  // Reads the rows `expr` holds for in every target partition; calls `row(batch, partition,
  // r)` per row. `what` names the rows for messages. Returns the rows read.
  template <typename RowFn>
  Result<int64_t> ReadTarget(const std::string& expr, const std::string& what, RowFn&& row) {
    int64_t read = 0;
    for (const auto& partition : target_partitions_) {
      RETURN_IF_ERROR(CheckCancelled("verify"));
      Batch b(plan_.schema, partition);
      RETURN_IF_ERROR(milvus_.Query(out_.name, partition, expr, kQueryWindow, &b, ts_));
      if (b.num_rows() >= kQueryWindow) {
        return absl::FailedPreconditionError(StrCat(
            "verify: ", what, " of partition '", partition, "' of collection '", out_.name,
            "' returned ", b.num_rows(), " rows, more than it counted; is the collection being "
            "written to?"));
      }
      // "" (a partition-key collection read whole) hashes as the source's rows do.
      const std::string name(PartitionName(partition));
      for (int64_t r = 0; r < b.num_rows(); ++r) row(b, name, r);
      read += b.num_rows();
    }
    return read;
  }

  Status HashTarget(const std::string& pk) {
    ASSIGN_OR_RETURN(target_partitions_, TargetPartitions());
    std::vector<size_t> todo;
    for (size_t i = 0; i < ranges_->size(); ++i) {
      if (sampled_[i] && target_counts_[i] > 0) todo.push_back(i);
    }
    std::mutex mu;
    return ParallelFor(options_.target_workers, todo.size(), [&](size_t k) -> Status {
      const size_t i = todo[k];
      RowDigest digest;
      std::vector<Hash128> fields;
      Hash128 h;
      ASSIGN_OR_RETURN(int64_t read,
                       ReadTarget(ranges_->Expr(pk, i),
                                  StrCat("pk range ", ranges_->Describe(i)),
                                  [&](const Batch& b, const std::string& p, int64_t r) {
                         HashRowOf(b, p, r, &fields, &h);
                         digest.Add(h);
                       }));
      (void)read;
      std::lock_guard lock(mu);
      target_digests_[i] = digest;
      out_.rows_hashed_target += digest.rows;
      return absl::OkStatus();
    });
  }

  Status Detail(const std::string& pk) {
    std::vector<size_t> differing;
    for (size_t i = 0; i < ranges_->size(); ++i) {
      const bool differs = source_counts_[i] != target_counts_[i] ||
                           (sampled_[i] && !(source_digests_[i] == target_digests_[i]));
      if (!differs) continue;
      ++out_.ranges_differing;
      if (out_.differing_ranges.size() < kMaxListedRanges) {
        out_.differing_ranges.push_back(StrCat(ranges_->Describe(i), ": ", source_counts_[i],
                                               " source row(s), ", target_counts_[i],
                                               " in Milvus"));
      }
      if (static_cast<int>(differing.size()) < options_.max_detailed_ranges) {
        differing.push_back(i);
      }
    }
    if (differing.empty()) return absl::OkStatus();
    out_.ranges_detailed = static_cast<int64_t>(differing.size());
    spdlog::info("verify: collection '{}': {} pk range(s) differ; reading {} again row by row",
                 out_.name, out_.ranges_differing, differing.size());
    // Which slot of `differing` each range is, -1 for ranges not read again.
    std::vector<int> slot(ranges_->size(), -1);
    for (size_t k = 0; k < differing.size(); ++k) slot[differing[k]] = static_cast<int>(k);
    // At most this many source rows a range, the smallest pks: a range whose Milvus rows are
    // few may hold any number of source rows (Milvus lost them), and memory stays flat.
    const size_t keep = std::max<size_t>(
        1, static_cast<size_t>(std::max<int64_t>(options_.max_detail_rows, 1)) / differing.size());

    // The source rows of those ranges, by pk, in pk order (OrderedKey).
    struct Kept {
      std::vector<std::map<std::string, SourceRow>> rows;
      std::vector<bool> cut;  // rows above the kept ones were left out
      int64_t twice = 0;      // pks the source holds more than once
    };
    auto add = [&](Kept& kept, size_t k, std::string key, SourceRow row) {
      auto& m = kept.rows[k];
      if (!kept.cut[k] || key < m.rbegin()->first) {
        if (!m.emplace(std::move(key), std::move(row)).second) ++kept.twice;
        if (m.size() > keep) {
          m.erase(std::prev(m.end()));
          kept.cut[k] = true;
        }
      }
    };
    Kept all;
    all.rows.resize(differing.size());
    all.cut.assign(differing.size(), false);
    RETURN_IF_ERROR(ReadSource<Kept>(
        [&](const Batch& b, Kept& local) {
          if (local.rows.empty()) {
            local.rows.resize(differing.size());
            local.cut.assign(differing.size(), false);
          }
          const PkColumn pkc = PkOf(b);
          const std::string_view partition = PartitionName(b.partition());
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            const int k = slot[pkc.RangeOf(*ranges_, r)];
            if (k < 0) continue;
            SourceRow row{.partition = std::string(partition)};
            HashRowOf(b, partition, r, &row.fields, &row.row);
            add(local, static_cast<size_t>(k), OrderedKey(pkc, r), std::move(row));
          }
        },
        [&](Kept& local) {
          all.twice += local.twice;
          for (size_t k = 0; k < local.rows.size(); ++k) {
            if (local.rows[k].empty()) continue;
            const std::string local_last = local.rows[k].rbegin()->first;
            for (auto& [key, row] : local.rows[k]) add(all, k, key, std::move(row));
            if (local.cut[k]) {
              // That task left out its rows above local_last: so must everyone.
              auto& m = all.rows[k];
              m.erase(m.upper_bound(local_last), m.end());
              all.cut[k] = true;
            }
          }
        }));
    if (all.twice > 0) {
      spdlog::warn("verify: collection '{}': the source holds {} pk(s) more than once",
                   out_.name, all.twice);
    }

    const std::string pk_name = schema_.fields[static_cast<size_t>(pk_index_)].name;
    auto show = [&](const std::string& key) {
      const std::string text = KeyText(key);
      return varchar_ ? StrCat(pk_name, " ", QuoteExprString(text)) : StrCat(pk_name, " ", text);
    };
    const int max = options_.max_examples;
    for (size_t k = 0; k < differing.size(); ++k) {
      const size_t i = differing[k];
      auto& source_rows = all.rows[k];
      std::string expr = ranges_->Expr(pk, i);
      std::string what = StrCat("pk range ", ranges_->Describe(i));
      if (all.cut[k] && !source_rows.empty()) {
        // Only up to the last kept source pk, so both sides cover the same pks.
        const std::string last = KeyText(source_rows.rbegin()->first);
        const std::string bound =
            StrCat(pk, " <= ", varchar_ ? QuoteExprString(last) : last);
        expr = expr.empty() ? bound : StrCat(expr, " && ", bound);
        what = StrCat(what, " up to ", last);
        out_.detail_notes.push_back(StrCat(ranges_->Describe(i), " holds ", source_counts_[i],
                                           " source rows: only those up to ", show(
                                               source_rows.rbegin()->first),
                                           " were compared row by row"));
      }
      std::unordered_map<std::string, std::string> target_seen;  // pk -> partition
      ASSIGN_OR_RETURN(
          int64_t read,
          ReadTarget(expr, what, [&](const Batch& b, const std::string& partition, int64_t r) {
            const PkColumn pkc = PkOf(b);
            const std::string key = OrderedKey(pkc, r);
            auto [seen, first] = target_seen.emplace(key, partition);
            if (!first) {
              Note(&out_.duplicate, StrCat(show(key), ": in partitions '", seen->second, "' and '",
                                           partition, "'"), max);
              return;
            }
            auto it = source_rows.find(key);
            if (it == source_rows.end()) {
              Note(&out_.extra, StrCat(show(key), " (partition '", partition, "')"), max);
              return;
            }
            SourceRow& src = it->second;
            src.seen = true;
            if (src.partition != partition) {
              Note(&out_.wrong_partition, StrCat(show(key), ": in partition '", partition,
                                                 "', the source's is '", src.partition, "'"),
                   max);
            }
            std::vector<Hash128> fields;
            Hash128 h;
            HashRowOf(b, partition, r, &fields, &h);
            std::string names;
            for (size_t c = 0; c < fields.size() && c < src.fields.size(); ++c) {
              if (fields[c] == src.fields[c]) continue;
              names += StrCat(names.empty() ? "" : ", ", "'", schema_.fields[c].name, "'");
            }
            if (!names.empty()) {
              Note(&out_.different, StrCat(show(key), ": field ", names), max);
            }
          }));
      // Rows of one pk in one partition come back once: count(*) still counts them.
      if (!all.cut[k] && target_counts_[i] > read) {
        out_.duplicate.count += target_counts_[i] - read;
        if (static_cast<int>(out_.duplicate.examples.size()) < max) {
          out_.duplicate.examples.push_back(
              StrCat(target_counts_[i] - read, " row(s) of pk range ", ranges_->Describe(i),
                     " repeat a pk of their partition"));
        }
      }
      // In pk order, so the examples named are the same from run to run.
      for (const auto& [key, row] : source_rows) {
        if (!row.seen) Note(&out_.missing, StrCat(show(key), " (partition '", row.partition, "')"),
                            max);
      }
      source_rows.clear();
    }
    return absl::OkStatus();
  }

  // The partitions to read the target by: each of its own, or for a partition-key collection
  // the whole collection at once ("": Milvus refuses partition names there, and spreads the
  // rows over its partitions by the key, so a source row has no partition of its own).
  Result<std::vector<std::string>> TargetPartitions() {
    if (partition_key_) return std::vector<std::string>{""};
    return milvus_.ListPartitions(out_.name);
  }

  Status CountTarget() {
    ASSIGN_OR_RETURN(out_.target_rows, milvus_.QueryCount(out_.name, "", "", ts_));
    if (partition_key_) {
      // One count for the collection (see TargetPartitions).
      PartitionCounts c{.name = std::string(PartitionName(""))};
      for (const auto& [name, n] : source_partition_rows_) c.source_rows += n;
      c.target_rows = out_.target_rows;
      out_.source_rows += c.source_rows;
      out_.partitions.push_back(std::move(c));
      return absl::OkStatus();
    }
    if (target_partitions_.empty()) {
      ASSIGN_OR_RETURN(target_partitions_, milvus_.ListPartitions(out_.name));
    }
    std::set<std::string> names(target_partitions_.begin(), target_partitions_.end());
    for (const auto& [name, n] : source_partition_rows_) names.insert(name);
    names.insert("_default");
    for (const auto& p : plan_.partitions) names.insert(p);
    const std::set<std::string> in_target(target_partitions_.begin(), target_partitions_.end());
    for (const auto& name : names) {
      PartitionCounts c{.name = name};
      auto it = source_partition_rows_.find(name);
      if (it != source_partition_rows_.end()) c.source_rows = it->second;
      if (in_target.count(name)) {
        ASSIGN_OR_RETURN(c.target_rows, milvus_.QueryCount(out_.name, name, "", ts_));
      }
      out_.source_rows += c.source_rows;
      out_.partitions.push_back(std::move(c));
    }
    return absl::OkStatus();
  }

  Source& source_;
  MilvusClient& milvus_;
  const CollectionPlan& plan_;
  const Schema& schema_;
  const VerifyOptions& options_;
  std::mt19937_64& rng_;
  CollectionVerify out_;

  uint64_t ts_ = 0;  // the guarantee timestamp of every query; 0: Strong
  int pk_index_ = -1;
  bool varchar_ = false;
  std::unique_ptr<PkRanges> ranges_;
  std::vector<bool> sampled_;
  std::vector<int64_t> target_counts_;
  std::vector<int64_t> source_counts_;
  std::vector<RowDigest> source_digests_;
  std::vector<RowDigest> target_digests_;
  std::vector<std::string> target_partitions_;
  bool partition_key_ = false;  // a field is the partition key
  std::map<std::string, int64_t> source_partition_rows_;
};

nlohmann::json KindJson(const DiffKind& k) {
  return {{"count", k.count}, {"examples", k.examples}};
}

std::string KindText(const char* name, const DiffKind& k) {
  if (k.count == 0) return "";
  std::string s = StrCat("; ", k.count, " ", name, ": ");
  for (size_t i = 0; i < k.examples.size(); ++i) s += StrCat(i ? ", " : "", k.examples[i]);
  if (k.count > static_cast<int64_t>(k.examples.size())) s += ", ...";
  return s;
}

}  // namespace

Result<VerifyReport> RunVerify(Source& source, MilvusClient& milvus,
                               const VerifyOptions& options) {
  if (!(options.sample_percent > 0 && options.sample_percent <= 100)) {
    return absl::InvalidArgumentError(
        StrCat("verify: --sample ", options.sample_percent, " must be above 0 and at most 100"));
  }
  const auto started = Clock::now();
  VerifyReport report;
  report.sample_percent = options.sample_percent;
  report.seed = options.seed != 0 ? options.seed : std::random_device{}();
  std::mt19937_64 rng(report.seed);
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.Plan());
  if (options.observer != nullptr) {
    options.observer->StartPhase(RunPhase::kVerify);
    for (const auto& plan : plans) {
      int64_t rows = plan.total_rows;
      if (rows < 0) {
        rows = 0;
        for (const auto& task : plan.tasks) {
          rows = task.rows < 0 || rows < 0 ? -1 : rows + task.rows;
        }
      }
      options.observer->SetCollectionTotal(plan.schema->collection, rows);
    }
  }
  for (const auto& plan : plans) {
    CollectionVerifier v(source, milvus, plan, options, rng);
    ASSIGN_OR_RETURN(CollectionVerify c, v.Run());
    c.note = plan.lossy_note.empty()
                 ? ""
                 : StrCat(plan.lossy_note, "; compared against the same reconstruction the "
                                           "dump wrote, bit for bit");
    report.match &= c.match;
    report.source_rows += c.source_rows;
    report.target_rows += c.target_rows;
    report.collections.push_back(std::move(c));
  }
  report.seconds = SecondsSince(started);
  return report;
}

std::string VerifyReport::ToJson() const {
  nlohmann::json j;
  j["result"] = match ? "match" : "mismatch";
  j["sample_percent"] = sample_percent;
  j["seed"] = seed;
  j["source_rows"] = source_rows;
  j["target_rows"] = target_rows;
  j["seconds"] = seconds;
  j["collections"] = nlohmann::json::array();
  for (const auto& c : collections) {
    nlohmann::json cj;
    cj["name"] = c.name;
    cj["result"] = c.match ? "match" : "mismatch";
    if (!c.note.empty()) cj["note"] = c.note;
    if (!c.not_compared.empty()) cj["not_compared"] = c.not_compared;
    if (!c.detail_notes.empty()) cj["partly_read_row_by_row"] = c.detail_notes;
    cj["source_rows"] = c.source_rows;
    cj["target_rows"] = c.target_rows;
    cj["partitions"] = nlohmann::json::array();
    for (const auto& p : c.partitions) {
      cj["partitions"].push_back({{"name", p.name},
                                  {"source_rows", p.source_rows},
                                  {"target_rows", p.target_rows},
                                  {"result", p.source_rows == p.target_rows ? "match"
                                                                            : "mismatch"}});
    }
    cj["pk_ranges"] = {{"total", c.ranges},
                       {"compared", c.ranges_sampled},
                       {"differing", c.ranges_differing},
                       {"read_row_by_row", c.ranges_detailed},
                       {"first_differing", c.differing_ranges}};
    cj["rows_hashed"] = {{"source", c.rows_hashed_source}, {"target", c.rows_hashed_target}};
    cj["missing"] = KindJson(c.missing);
    cj["extra"] = KindJson(c.extra);
    cj["duplicate"] = KindJson(c.duplicate);
    cj["wrong_partition"] = KindJson(c.wrong_partition);
    cj["different"] = KindJson(c.different);
    cj["seconds"] = c.seconds;
    j["collections"].push_back(std::move(cj));
  }
  return j.dump(2);
}

std::string VerifyReport::Summary() const {
  std::string s;
  for (const auto& c : collections) {
    s += StrCat("verify: collection '", c.name, "': ", c.match ? "MATCH" : "MISMATCH", ": ",
                c.source_rows, " source row(s), ", c.target_rows, " in Milvus");
    for (const auto& p : c.partitions) {
      if (p.source_rows != p.target_rows) {
        s += StrCat("; partition '", p.name, "': ", p.source_rows, " in the source, ",
                    p.target_rows, " in Milvus");
      }
    }
    s += StrCat("; rows of ", c.ranges_sampled, " of ", c.ranges, " pk range(s) compared");
    if (c.ranges_differing > 0) {
      s += StrCat(", ", c.ranges_differing, " differ (", c.ranges_detailed,
                  " read again row by row)");
    }
    s += KindText("missing in Milvus", c.missing);
    s += KindText("extra in Milvus", c.extra);
    s += KindText("held twice in Milvus", c.duplicate);
    s += KindText("in another partition", c.wrong_partition);
    s += KindText("with a different field", c.different);
    if (!c.not_compared.empty()) s += StrCat("; ", c.not_compared);
    for (const auto& n : c.detail_notes) s += StrCat("; ", n);
    if (!c.note.empty()) s += StrCat(" (", c.note, ")");
    s += "\n";
  }
  s += StrCat("verify: ", match ? "MATCH" : "MISMATCH", ": ", source_rows, " source row(s), ",
              target_rows, " in Milvus, ", collections.size(), " collection(s), in ",
              static_cast<int64_t>(seconds * 100) / 100.0, " s",
              sample_percent < 100 ? StrCat(" (", sample_percent, "% of pk ranges sampled, seed ",
                                            seed, ")")
                                   : "");
  return s;
}

}  // namespace mm
