#include "sources/milvus2x/milvus2x_source.h"

#include <absl/strings/str_format.h>
#include <absl/strings/str_join.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>

#include "core/cancellation.h"

namespace mm {
namespace {

// Milvus 2.3 refuses a query whose limit (plus offset) is over 16384.
constexpr int64_t kMaxQueryRows = 16384;

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string Literal(DataType type, const std::string& value) {
  return type == DataType::kVarChar ? Quote(value) : value;
}

// FNV-1a of a task's range: a task whose range moved between runs gets another id, so the
// dump forgets its old parts instead of keeping rows of a range it no longer reads.
std::string RangeTag(const PkRange& r) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::optional<std::string>& v) {
    std::string s = v ? "v" + *v : "-";
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(r.lower);
  mix(r.upper);
  return absl::StrFormat("%08x", static_cast<uint32_t>(h ^ (h >> 32)));
}

std::string PkText(const Column& pk, DataType type, int64_t row) {
  return type == DataType::kVarChar ? std::string(pk.value(row))
                                    : std::to_string(pk.scalar<int64_t>(row));
}

bool PkLess(const Column& pk, DataType type, int64_t a, int64_t b) {
  return type == DataType::kVarChar ? pk.value(a) < pk.value(b)
                                    : pk.scalar<int64_t>(a) < pk.scalar<int64_t>(b);
}

// The rows of `batch` in pk order. Milvus merges a limit query's results in pk order; this
// only guards the order a checkpoint position relies on.
Batch SortedByPk(Batch batch, int pk_index, DataType pk_type) {
  const Column& pk = batch.column(static_cast<size_t>(pk_index));
  const int64_t n = batch.num_rows();
  bool sorted = true;
  for (int64_t i = 1; i < n && sorted; ++i) sorted = !PkLess(pk, pk_type, i, i - 1);
  if (sorted) return batch;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return PkLess(pk, pk_type, a, b); });
  Batch out(batch.schema(), batch.partition());
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const Column& from = batch.column(c);
    Column& to = out.column(c);
    to.Reserve(n);
    for (int64_t r : order) {
      if (from.width() > 0) {
        to.AppendFixed(from.row(r), 1);
      } else {
        to.AppendValue(from.value(r));
      }
    }
  }
  return out;
}

bool IsNotLoaded(const Status& st) {
  const std::string m(st.message());
  return m.find("not loaded") != std::string::npos ||
         m.find("NotLoaded") != std::string::npos ||
         m.find("not been loaded") != std::string::npos;
}

std::string DbLabel(const std::string& db) { return db.empty() ? "default" : db; }

class Milvus2xReader final : public BatchReader {
 public:
  Milvus2xReader(Milvus2xSource::TaskSource task, std::string target_partition,
                 int64_t batch_rows, uint64_t ts, std::optional<std::string> after)
      : task_(std::move(task)),
        target_partition_(std::move(target_partition)),
        batch_rows_(std::clamp<int64_t>(batch_rows, 1, kMaxQueryRows)),
        ts_(ts),
        cursor_(std::move(after)),
        resumed_(cursor_.has_value()) {
    pk_index_ = task_.schema->FieldIndex(task_.pk_field);
  }

  const SchemaPtr& schema() const override { return task_.schema; }

  Result<std::optional<Batch>> Next() override {
    if (done_) return std::optional<Batch>();
    RETURN_IF_ERROR(CheckCancelled(StrCat("read of '", task_.collection, "'")));
    PkRange range = task_.range;
    if (cursor_) range.lower = cursor_;
    const std::string expr = PkRangeExpr(task_.pk_field, task_.pk_type, range);
    Batch batch(task_.schema, target_partition_);
    // An empty expression (both bounds open) reads every row: Milvus 2.3 takes it with a
    // limit, and cannot parse the literal -9223372036854775808.
    RETURN_IF_ERROR(task_.client->Query(task_.collection, task_.partition, expr, batch_rows_,
                                        &batch, ts_));
    const int64_t n = batch.num_rows();
    // Only an empty page ends the range: Milvus returns a pk held by several rows once, so
    // a page may hold fewer than the limit with rows still to come.
    if (n == 0) done_ = true;
    rows_ += n;
    if (done_ && !resumed_ && rows_ != task_.rows) {
      return absl::FailedPreconditionError(StrCat(
          "source collection '", task_.collection, "'",
          task_.partition.empty() ? "" : StrCat(" partition '", task_.partition, "'"),
          ": read ", rows_, " rows of the range (", expr.empty() ? "all" : expr, ") but ",
          task_.rows, " were there when the copy was planned; the collection changed "
          "during the copy (Milvus 2.3 reads the latest data, not a snapshot): stop writing "
          "to it and run again"));
    }
    if (n == 0) return std::optional<Batch>();
    batch = SortedByPk(std::move(batch), pk_index_, task_.pk_type);
    const Column& pk = batch.column(static_cast<size_t>(pk_index_));
    last_pks_.clear();
    last_pks_.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) last_pks_.push_back(PkText(pk, task_.pk_type, i));
    cursor_ = last_pks_.back();
    return std::optional<Batch>(std::move(batch));
  }

  std::string PositionAfter(int64_t row) const override {
    if (row < 0 || row >= static_cast<int64_t>(last_pks_.size())) return "";
    return last_pks_[static_cast<size_t>(row)];
  }

 private:
  Milvus2xSource::TaskSource task_;
  std::string target_partition_;
  int64_t batch_rows_;
  uint64_t ts_;
  std::optional<std::string> cursor_;
  bool resumed_;
  int pk_index_ = -1;
  bool done_ = false;
  int64_t rows_ = 0;
  std::vector<std::string> last_pks_;
};

}  // namespace

std::string PkRangeExpr(const std::string& field, DataType type, const PkRange& range) {
  std::vector<std::string> parts;
  if (range.lower) parts.push_back(StrCat(field, " > ", Literal(type, *range.lower)));
  if (range.upper) parts.push_back(StrCat(field, " <= ", Literal(type, *range.upper)));
  return absl::StrJoin(parts, " && ");
}

Result<std::unique_ptr<Milvus2xSource>> Milvus2xSource::Open(const Milvus2xConfig& config,
                                                             const MigrationConfig& shared) {
  auto connect = [&](const std::string& database) -> Result<std::shared_ptr<MilvusClient>> {
    MilvusOptions o;
    o.endpoint = config.endpoint;
    o.username = config.username;
    o.password = config.password;
    o.database = database;
    o.retry_budget_s = shared.retry_budget_s;
    auto client = MilvusClient::Connect(o);
    if (!client.ok()) {
      return Status(client.status().code(),
                    StrCat("[source.milvus2x] source Milvus, database '", DbLabel(database),
                           "': ", client.status().message()));
    }
    return std::shared_ptr<MilvusClient>(std::move(*client));
  };

  std::vector<std::string> names = config.databases;
  if (names.empty()) names = {""};
  if (names.size() == 1 && names[0] == "*") {
    ASSIGN_OR_RETURN(auto client, connect(""));
    ASSIGN_OR_RETURN(names, client->ListDatabases());
  }
  std::vector<std::string> wanted =
      shared.collections.empty() ? config.collections : shared.collections;
  if (wanted.empty()) {
    return absl::InvalidArgumentError(
        StrCat(shared.config_path, ": [meta.collection] must name the source collection (or "
                                   "give start -t NAME, or meta.collections)"));
  }
  std::vector<Database> databases;
  for (const std::string& name : names) {
    Database db;
    db.name = name;
    ASSIGN_OR_RETURN(db.client, connect(name));
    if (wanted.size() == 1 && wanted[0] == "*") {
      ASSIGN_OR_RETURN(db.collections, db.client->ListCollections());
      std::sort(db.collections.begin(), db.collections.end());
    } else {
      for (const std::string& c : wanted) {
        ASSIGN_OR_RETURN(bool exists, db.client->HasCollection(c));
        if (!exists) {
          return absl::NotFoundError(StrCat(
              "[meta.collection] source collection '", c, "' does not exist in database '",
              DbLabel(name), "' of the source Milvus ", db.client->endpoint()));
        }
      }
      db.collections = wanted;
    }
    databases.push_back(std::move(db));
  }
  return std::unique_ptr<Milvus2xSource>(
      new Milvus2xSource(config, std::move(databases), std::max(1, shared.dumper_limit)));
}

std::string Milvus2xSource::Describe() const {
  std::vector<std::string> names;
  for (const auto& db : databases_) {
    for (const auto& c : db.collections) names.push_back(StrCat(DbLabel(db.name), ".", c));
  }
  const std::string endpoint = databases_.empty() ? config_.endpoint
                                                  : databases_[0].client->endpoint();
  return StrCat("milvus2x:", endpoint, "/", absl::StrJoin(names, ","));
}

Result<std::vector<CollectionPlan>> Milvus2xSource::Plan() {
  if (databases_.empty()) return std::vector<CollectionPlan>{};
  // One timestamp for every collection: each query asks to see at least everything up to it.
  ASSIGN_OR_RETURN(ts_, databases_[0].client->AllocTimestamp());
  std::vector<CollectionPlan> plans;
  std::map<std::string, std::string> targets;  // target name -> its source, for collisions
  for (const auto& db : databases_) {
    for (const auto& name : db.collections) {
      ASSIGN_OR_RETURN(CollectionPlan plan, PlanCollection(db, name));
      const std::string from = StrCat(DbLabel(db.name), ".", name);
      auto [it, fresh] = targets.emplace(plan.schema->collection, from);
      if (!fresh) {
        return absl::InvalidArgumentError(StrCat(
            "source collections ", it->second, " and ", from, " would both go to the target "
            "collection '", plan.schema->collection, "'; copy them in separate runs"));
      }
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

Result<CollectionPlan> Milvus2xSource::PlanCollection(const Database& db,
                                                      const std::string& name) {
  MilvusClient& milvus = *db.client;
  const std::string where = StrCat("source collection '", name, "' (database '",
                                   DbLabel(db.name), "')");
  auto described = milvus.DescribeCollection(name);
  if (absl::IsNotFound(described.status())) {
    return absl::NotFoundError(StrCat("[meta.collection] ", where, " does not exist in the "
                                      "source Milvus ", milvus.endpoint()));
  }
  RETURN_IF_ERROR(described.status());
  const Schema& source = described->schema;
  ASSIGN_OR_RETURN(CollectionLayout layout, milvus.DescribeCollectionLayout(name));
  ASSIGN_OR_RETURN(std::vector<IndexDescription> indexes, milvus.DescribeIndexes(name));
  ASSIGN_OR_RETURN(std::vector<std::string> partitions, milvus.ListPartitions(name));

  // Fields: every one, or those meta.fields names (in the source's order).
  auto schema = std::make_shared<Schema>();
  schema->collection = config_.target_collection.empty() ? name : config_.target_collection;
  schema->description = source.description;
  const FieldSchema* pk = source.PrimaryKey();
  if (pk == nullptr) return absl::FailedPreconditionError(StrCat(where, " has no primary key"));
  std::vector<std::string> field_names;
  for (const auto& f : source.fields) field_names.push_back(f.name);
  for (const auto& wanted : config_.fields) {
    if (source.FieldIndex(wanted) < 0) {
      return absl::InvalidArgumentError(
          StrCat("[meta.fields] names '", wanted, "', which ", where, " does not have (its "
                 "fields: ", absl::StrJoin(field_names, ", "), ")"));
    }
  }
  bool has_vector = false;
  bool has_partition_key = false;
  for (const auto& f : source.fields) {
    if (!config_.fields.empty() &&
        std::find(config_.fields.begin(), config_.fields.end(), f.name) == config_.fields.end()) {
      continue;
    }
    FieldSchema copy = f;
    if (copy.primary_key && !config_.auto_id.empty()) copy.auto_id = config_.auto_id == "true";
    has_vector |= IsVectorType(copy.type);
    has_partition_key |= copy.partition_key;
    schema->fields.push_back(copy);
  }
  if (schema->FieldIndex(pk->name) < 0) {
    return absl::InvalidArgumentError(StrCat("[meta.fields] must include the primary key '",
                                             pk->name, "' of ", where));
  }
  if (!has_vector) {
    return absl::InvalidArgumentError(StrCat(
        "[meta.fields] must include a vector field of ", where,
        ": a Milvus collection needs one"));
  }
  schema->enable_dynamic_field = source.enable_dynamic_field && !config_.close_dynamic_field;
  if (schema->enable_dynamic_field) {
    schema->fields.push_back(FieldSchema{.name = kDynamicFieldName, .type = DataType::kJson});
  }
  if (has_partition_key) schema->num_partitions = layout.num_partitions;
  const FieldSchema& target_pk = schema->fields[static_cast<size_t>(schema->FieldIndex(pk->name))];
  if (target_pk.auto_id) {
    spdlog::info("milvus2x: {}: the target's primary key '{}' has autoID on, so the rows get "
                 "new ids (meta.milvus.autoId: \"false\" keeps them)", where, pk->name);
  }

  CollectionPlan plan;
  plan.name_origin = where;
  plan.shards_num = config_.shard_num > 0 ? config_.shard_num : layout.shards_num;
  plan.consistency_level =
      config_.consistency_level.empty() ? layout.consistency_level : config_.consistency_level;
  for (const auto& index : indexes) {
    if (schema->FieldIndex(index.field) < 0) continue;
    plan.indexes.push_back(
        IndexSpec{index.field, index.index_type, index.metric_type, index.params});
    if (plan.metric_type.empty() && !index.metric_type.empty()) {
      plan.metric_type = index.metric_type;
    }
  }
  if (!has_partition_key) {
    for (const auto& p : partitions) {
      if (p != "_default") plan.partitions.push_back(p);
    }
  }

  // The expected count: live rows at the timestamp.
  auto total = milvus.QueryCount(name, "", "", ts_);
  if (!total.ok() && IsNotLoaded(total.status())) {
    return absl::FailedPreconditionError(StrCat(
        where, " is not loaded: Milvus reads only loaded collections; load it (it needs an "
               "index on its vector fields) and run again"));
  }
  RETURN_IF_ERROR(total.status());
  plan.total_rows = *total;

  // Tasks: pk ranges of each partition (a partition-key collection: of the whole collection,
  // which Milvus routes by the key again on the target), about rows_per_task rows each.
  const int64_t rows_per_task =
      std::max<int64_t>(4096, (*total + tasks_hint_ * 4 - 1) / (tasks_hint_ * 4));
  std::vector<std::string> groups;
  if (has_partition_key) {
    groups.push_back("");
  } else {
    groups = partitions;
  }
  auto pk_schema = std::make_shared<Schema>();
  pk_schema->collection = name;
  pk_schema->fields.push_back(*pk);
  pk_schema->fields[0].auto_id = false;
  const SchemaPtr read_schema = schema;
  int64_t planned_rows = 0;
  for (const std::string& group : groups) {
    // Read the group's primary keys once, in pk order, cutting a range every rows_per_task.
    std::vector<std::pair<PkRange, int64_t>> ranges;
    std::optional<std::string> last;
    std::optional<std::string> range_start;
    int64_t in_range = 0;
    while (true) {
      RETURN_IF_ERROR(CheckCancelled(StrCat("plan of ", where)));
      Batch keys(pk_schema);
      PkRange page{last, std::nullopt};
      const std::string expr = PkRangeExpr(pk->name, pk->type, page);
      RETURN_IF_ERROR(milvus.Query(name, group, expr, kMaxQueryRows, &keys, ts_));
      const int64_t n = keys.num_rows();
      const Column& col = keys.column(0);
      for (int64_t i = 0; i < n; ++i) {
        if (++in_range == rows_per_task) {
          std::string upper = PkText(col, pk->type, i);
          ranges.push_back({PkRange{range_start, upper}, in_range});
          range_start = upper;
          in_range = 0;
        }
      }
      if (n > 0) {
        // The page's largest pk, wherever the server put it.
        int64_t max_row = 0;
        for (int64_t i = 1; i < n; ++i) {
          if (PkLess(col, pk->type, max_row, i)) max_row = i;
        }
        last = PkText(col, pk->type, max_row);
      }
      if (n == 0) break;  // not n < limit: duplicate pks come back once (see the reader)
    }
    if (in_range > 0 || ranges.empty()) {
      ranges.push_back({PkRange{range_start, std::nullopt}, in_range});
    } else {
      ranges.back().first.upper.reset();  // the last range stays open above
    }
    const std::string target_partition = (group.empty() || group == "_default") ? "" : group;
    const std::string label = group.empty() ? "all" : group;
    for (size_t i = 0; i < ranges.size(); ++i) {
      SourceTask task;
      task.id = StrCat(label, ".", absl::StrFormat("%04d", i), ".", RangeTag(ranges[i].first));
      task.collection = schema->collection;
      task.partition = target_partition;
      task.rows = ranges[i].second;
      planned_rows += task.rows;
      TaskSource source_task{db.client, name, group, read_schema, pk->name, pk->type,
                             ranges[i].first, ranges[i].second};
      {
        std::lock_guard lock(mu_);
        tasks_[StrCat(task.collection, "/", task.id)] = std::move(source_task);
      }
      plan.tasks.push_back(std::move(task));
    }
  }
  if (planned_rows != plan.total_rows) {
    return absl::FailedPreconditionError(StrCat(
        where, ": count(*) says ", plan.total_rows, " live rows but ", planned_rows,
        " distinct primary keys were read: the collection holds rows with duplicate primary "
        "keys (Milvus 2.3 lets an insert repeat a pk; a copy keeps one row a pk), or it "
        "changed while the copy was planned (stop writing to it and run again)"));
  }
  plan.schema = schema;
  spdlog::info("milvus2x: {}: {} rows, {} task(s), {} partition(s){}, {} index(es) to copy",
               where, plan.total_rows, plan.tasks.size(), plan.partitions.size() + 1,
               has_partition_key
                   ? StrCat(" (partition key, ", layout.num_partitions, " partitions)")
                   : std::string(),
               plan.indexes.size());
  return plan;
}

Result<std::unique_ptr<BatchReader>> Milvus2xSource::OpenTask(const SourceTask& task) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(StrCat(task.collection, "/", task.id));
  if (it == tasks_.end()) {
    return absl::InternalError(StrCat("milvus2x: task ", task.id, " of '", task.collection,
                                      "' is not in the plan"));
  }
  return std::unique_ptr<BatchReader>(std::make_unique<Milvus2xReader>(
      it->second, task.partition, config_.batch_rows, ts_, std::nullopt));
}

Result<std::unique_ptr<BatchReader>> Milvus2xSource::OpenTaskAt(const SourceTask& task,
                                                                const std::string& position) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(StrCat(task.collection, "/", task.id));
  if (it == tasks_.end()) {
    return absl::InternalError(StrCat("milvus2x: task ", task.id, " of '", task.collection,
                                      "' is not in the plan"));
  }
  return std::unique_ptr<BatchReader>(std::make_unique<Milvus2xReader>(
      it->second, task.partition, config_.batch_rows, ts_, position));
}

}  // namespace mm
