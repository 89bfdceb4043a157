#include "sources/mongodb/mongo_source.h"

#include <bson/bson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "sources/mongodb/mongo_doc_decoder.h"

namespace mm {
namespace {

// MongoDB compares a range bound only with values of the same bracket of types.
enum class IdBracket { kNumber, kString, kObjectId, kOther };

IdBracket BracketOf(bson_type_t t) {
  switch (t) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_DECIMAL128: return IdBracket::kNumber;
    case BSON_TYPE_UTF8: return IdBracket::kString;
    case BSON_TYPE_OID: return IdBracket::kObjectId;
    default: return IdBracket::kOther;
  }
}

// A document's _id as its own document {"_id": value}: a split point or a position.
BsonDoc IdOf(const bson_t* doc) {
  BsonDoc out;
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc, "_id")) {
    bson_append_iter(const_cast<bson_t*>(out.get()), "_id", 3, &it);
  }
  return out;
}

bson_type_t IdType(const BsonDoc& id) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, id.get(), "_id")) return BSON_TYPE_EOD;
  return bson_iter_type(&it);
}

// FNV-1a over the split points' bytes: names a task's bounds in its id.
std::string Digest(const std::vector<BsonDoc>& points) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& p : points) {
    const uint8_t* data = bson_get_data(p.get());
    for (uint32_t i = 0; i < p.get()->len; ++i) {
      h ^= data[i];
      h *= 1099511628211ULL;
    }
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 8);
}

// Appends {"_id": {op: value of `bound`}} to the array `and` under key `index`.
void AppendIdCondition(bson_t* and_array, int index, const char* op, const BsonDoc& bound) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, bound.get(), "_id")) return;
  const std::string key = std::to_string(index);
  bson_t cond;
  bson_t range;
  bson_append_document_begin(and_array, key.c_str(), -1, &cond);
  bson_append_document_begin(&cond, "_id", 3, &range);
  bson_append_iter(&range, op, -1, &it);
  bson_append_document_end(&cond, &range);
  bson_append_document_end(and_array, &cond);
}

}  // namespace

struct MongoCollectionState {
  std::string source;  // the MongoDB collection
  MongoCollectionSchema schema;
  int64_t count = 0;
  bool mixed_ids = false;
  std::vector<BsonDoc> splits;  // ascending {"_id": v}; tasks = splits + 1
  std::string digest;
};

struct MongoSource::State {
  std::shared_ptr<MongoClient> client;
  MongoConfig config;
  std::vector<MongoCollectionState> collections;

  // The find filter of a range: the configured filter and the _id bounds.
  BsonDoc Query(const BsonDoc& filter, const BsonDoc* lo, const BsonDoc* hi,
                const BsonDoc* after) const {
    BsonDoc q;
    bson_t* out = const_cast<bson_t*>(q.get());
    bson_t and_array;
    bson_append_array_begin(out, "$and", 4, &and_array);
    int n = 0;
    if (!bson_empty(filter.get())) {
      const std::string key = std::to_string(n++);
      bson_append_document(&and_array, key.c_str(), -1, filter.get());
    }
    if (lo != nullptr) AppendIdCondition(&and_array, n++, "$gte", *lo);
    if (hi != nullptr) AppendIdCondition(&and_array, n++, "$lt", *hi);
    if (after != nullptr) AppendIdCondition(&and_array, n++, "$gt", *after);
    bson_append_array_end(out, &and_array);
    if (n == 0) return BsonDoc();
    return q;
  }

  BsonDoc FindOptions(const MongoCollectionState& c) const {
    BsonDoc opts;
    bson_t* o = const_cast<bson_t*>(opts.get());
    bson_t sort;
    bson_append_document_begin(o, "sort", 4, &sort);
    bson_append_int32(&sort, "_id", 3, 1);
    bson_append_document_end(o, &sort);
    bson_append_int32(o, "batchSize", 9, static_cast<int32_t>(config.batch_docs));
    if (!config.dynamic_unlisted) {
      bson_t projection;
      bson_append_document_begin(o, "projection", 10, &projection);
      for (const auto& p : c.schema.paths) {
        if (!p.empty()) bson_append_int32(&projection, p.c_str(), -1, 1);
      }
      bson_append_document_end(o, &projection);
    }
    return opts;
  }

  std::string Name(const MongoCollectionState& c) const {
    return StrCat(config.database, ".", c.source);
  }

  // Split points from splitVector, an _id scan, or $sample; empty for one task.
  Result<std::vector<BsonDoc>> SplitPoints(const MongoCollectionState& c, const BsonDoc& filter,
                                           int tasks) const {
    if (tasks <= 1 || c.count < 2 || c.mixed_ids) return std::vector<BsonDoc>();
    auto split = SplitVector(c, tasks);
    if (split.ok()) return split;
    spdlog::info("mongodb: {}: splitVector was refused ({}); {}", Name(c),
                 std::string(split.status().message()),
                 c.count <= kMaxScanForSplits ? "cutting the _ids by a scan of them"
                                              : "cutting the _ids by $sample");
    if (c.count <= kMaxScanForSplits) return ScanSplits(c, filter, tasks);
    return SampleSplits(c, filter, tasks);
  }

  Result<std::vector<BsonDoc>> SplitVector(const MongoCollectionState& c, int tasks) const {
    BsonDoc stats_cmd;
    BSON_APPEND_UTF8(const_cast<bson_t*>(stats_cmd.get()), "collStats", c.source.c_str());
    ASSIGN_OR_RETURN(BsonDoc stats, client->Command(config.database, stats_cmd, "collStats"));
    bson_iter_t it;
    int64_t size = 0;
    if (bson_iter_init_find(&it, stats.get(), "size") && BSON_ITER_HOLDS_NUMBER(&it)) {
      size = bson_iter_as_int64(&it);
    }
    if (size <= 0) return absl::FailedPreconditionError("collStats gave no size");
    BsonDoc cmd;
    bson_t* b = const_cast<bson_t*>(cmd.get());
    BSON_APPEND_UTF8(b, "splitVector", Name(c).c_str());
    bson_t key;
    bson_append_document_begin(b, "keyPattern", 10, &key);
    bson_append_int32(&key, "_id", 3, 1);
    bson_append_document_end(b, &key);
    // The server cuts every maxChunkSizeBytes / 2 (and at most maxChunkObjects a chunk).
    BSON_APPEND_INT64(b, "maxChunkSizeBytes", std::max<int64_t>(size, 1));
    BSON_APPEND_INT64(b, "maxChunkObjects", (c.count + tasks - 1) / tasks);
    ASSIGN_OR_RETURN(BsonDoc reply, client->Command(config.database, cmd, "splitVector"));
    std::vector<BsonDoc> points;
    bson_iter_t keys;
    if (bson_iter_init_find(&it, reply.get(), "splitKeys") && BSON_ITER_HOLDS_ARRAY(&it) &&
        bson_iter_recurse(&it, &keys)) {
      while (bson_iter_next(&keys)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&keys)) continue;
        uint32_t len = 0;
        const uint8_t* data = nullptr;
        bson_iter_document(&keys, &len, &data);
        bson_t point;
        if (bson_init_static(&point, data, len)) points.push_back(IdOf(&point));
      }
    }
    return points;
  }

  // Every count/tasks-th matching _id in order: the same points on every run over the same
  // data, so a rerun continues the tasks an interrupted dump left.
  Result<std::vector<BsonDoc>> ScanSplits(const MongoCollectionState& c, const BsonDoc& filter,
                                          int tasks) const {
    BsonDoc opts;
    bson_t* o = const_cast<bson_t*>(opts.get());
    bson_t sub;
    bson_append_document_begin(o, "sort", 4, &sub);
    bson_append_int32(&sub, "_id", 3, 1);
    bson_append_document_end(o, &sub);
    bson_append_document_begin(o, "projection", 10, &sub);
    bson_append_int32(&sub, "_id", 3, 1);
    bson_append_document_end(o, &sub);
    bson_append_int32(o, "batchSize", 9, 10000);
    ASSIGN_OR_RETURN(auto cursor, client->Find(config.database, c.source, filter, opts));
    const int64_t step = (c.count + tasks - 1) / tasks;
    std::vector<BsonDoc> points;
    for (int64_t i = 0;; ++i) {
      const bson_t* doc = nullptr;
      RETURN_IF_ERROR(cursor->Next(&doc));
      if (doc == nullptr) break;
      if (i > 0 && i % step == 0) points.push_back(IdOf(doc));
    }
    return points;
  }

  Result<std::vector<BsonDoc>> SampleSplits(const MongoCollectionState& c, const BsonDoc& filter,
                                            int tasks) const {
    const int samples = tasks * 16;
    const std::string json = StrCat(
        "{\"pipeline\": [{\"$match\": ", filter.ToJson(), "}, {\"$sample\": {\"size\": ",
        samples, "}}, {\"$project\": {\"_id\": 1}}, {\"$sort\": {\"_id\": 1}}]}");
    ASSIGN_OR_RETURN(BsonDoc pipeline, BsonDoc::FromJson(json, "the $sample pipeline"));
    ASSIGN_OR_RETURN(auto cursor, client->Aggregate(config.database, c.source, pipeline));
    std::vector<BsonDoc> sample;
    for (;;) {
      const bson_t* doc = nullptr;
      RETURN_IF_ERROR(cursor->Next(&doc));
      if (doc == nullptr) break;
      sample.push_back(IdOf(doc));
    }
    std::vector<BsonDoc> points;
    for (int t = 1; t < tasks && !sample.empty(); ++t) {
      const size_t i = sample.size() * static_cast<size_t>(t) / static_cast<size_t>(tasks);
      if (i == 0 || i >= sample.size()) continue;
      const BsonDoc& p = sample[i];
      if (!points.empty() && bson_equal(points.back().get(), p.get())) continue;
      points.push_back(p);
    }
    return points;
  }
};

namespace {

// The documents of one _id range, in _id order.
class MongoRangeReader : public BatchReader {
 public:
  MongoRangeReader(std::shared_ptr<MongoSource::State> state, size_t coll, int task,
                   std::optional<BsonDoc> after)
      : state_(std::move(state)),
        coll_(coll),
        task_(task),
        decoder_(C().schema, state_->Name(C()), state_->config.skip_invalid_docs),
        after_(std::move(after)) {}

  const SchemaPtr& schema() const override { return C().schema.schema; }

  Result<std::optional<Batch>> Next() override {
    if (done_) return std::optional<Batch>();
    Batch batch(C().schema.schema);
    positions_.clear();
    int64_t taken = 0;
    constexpr int kMaxReopens = 3;
    while (taken < state_->config.batch_docs) {
      if (cursor_ == nullptr) RETURN_IF_ERROR(Open());
      const bson_t* doc = nullptr;
      Status read = cursor_->Next(&doc);
      if (read.code() == absl::StatusCode::kAborted && reopened_ < kMaxReopens) {
        // The server forgot the cursor (idle past its timeout while the dump wrote):
        // continue after the last _id read.
        spdlog::warn("mongodb: {} task {}: {}; reading on after the last _id read",
                     state_->Name(C()), task_, std::string(read.message()));
        ++reopened_;
        cursor_.reset();
        continue;
      }
      RETURN_IF_ERROR(read);
      if (doc == nullptr) {
        done_ = true;
        cursor_.reset();
        break;
      }
      ++taken;
      last_ = IdOf(doc);
      ASSIGN_OR_RETURN(bool kept, decoder_.Decode(doc, &batch));
      if (kept && !C().mixed_ids) positions_.push_back(last_->ToJson());
    }
    if (taken == 0 && done_) return std::optional<Batch>();
    return std::optional<Batch>(std::move(batch));
  }

  std::string PositionAfter(int64_t row) const override {
    if (row < 0 || static_cast<size_t>(row) >= positions_.size()) return "";
    return positions_[static_cast<size_t>(row)];
  }

 private:
  const MongoCollectionState& C() const { return state_->collections[coll_]; }

  Status Open() {
    const MongoCollectionState& c = C();
    ASSIGN_OR_RETURN(BsonDoc filter,
                     BsonDoc::FromJson(state_->config.filter, "[source.mongodb.filter]"));
    const BsonDoc* lo = task_ > 0 ? &c.splits[static_cast<size_t>(task_ - 1)] : nullptr;
    const BsonDoc* hi =
        static_cast<size_t>(task_) < c.splits.size() ? &c.splits[static_cast<size_t>(task_)]
                                                     : nullptr;
    const BsonDoc* after = last_ ? &*last_ : after_ ? &*after_ : nullptr;
    BsonDoc query = state_->Query(filter, lo, hi, after);
    ASSIGN_OR_RETURN(cursor_, state_->client->Find(state_->config.database, c.source, query,
                                                   state_->FindOptions(c)));
    return absl::OkStatus();
  }

  std::shared_ptr<MongoSource::State> state_;
  size_t coll_;
  int task_;
  MongoDocDecoder decoder_;
  std::optional<BsonDoc> after_;  // where the task resumes (a position), if it does
  std::optional<BsonDoc> last_;   // the last document's _id read
  std::unique_ptr<MongoCursor> cursor_;
  std::vector<std::string> positions_;  // the last batch's rows' _ids, as positions
  int reopened_ = 0;
  bool done_ = false;
};

}  // namespace

MongoSource::MongoSource(std::shared_ptr<State> state) : state_(std::move(state)) {}
MongoSource::~MongoSource() = default;

Result<std::unique_ptr<MongoSource>> MongoSource::Open(std::shared_ptr<MongoClient> client,
                                                       MongoConfig config) {
  auto state = std::make_shared<State>();
  state->client = client;
  ASSIGN_OR_RETURN(BsonDoc filter, BsonDoc::FromJson(config.filter, "[source.mongodb.filter]"));
  ASSIGN_OR_RETURN(std::vector<std::string> names, client->CollectionNames(config.database));
  for (const auto& [name, target] : config.collections) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::NotFoundError(StrCat("[source.mongodb.collections] collection '", name,
                                        "' does not exist in database '", config.database,
                                        "' at ", MongoUriForLog(config.uri)));
    }
    MongoCollectionState c;
    c.source = name;
    const std::string full = StrCat(config.database, ".", name);
    ASSIGN_OR_RETURN(c.count, client->Count(config.database, name, filter));
    // The first and last matching _ids type the pk and tell whether ranges can be cut.
    std::optional<BsonDoc> ends[2];
    for (int dir : {1, -1}) {
      const std::string opts = StrCat("{\"sort\": {\"_id\": ", dir,
                                      "}, \"limit\": 1, \"projection\": {\"_id\": 1}}");
      ASSIGN_OR_RETURN(BsonDoc o, BsonDoc::FromJson(opts, "find options"));
      ASSIGN_OR_RETURN(auto cursor, client->Find(config.database, name, filter, o));
      const bson_t* doc = nullptr;
      RETURN_IF_ERROR(cursor->Next(&doc));
      if (doc != nullptr) ends[dir == 1 ? 0 : 1] = IdOf(doc);
    }
    DataType id_type = DataType::kVarChar;
    bool id_is_oid = true;
    if (ends[0]) {
      const bson_type_t first = IdType(*ends[0]);
      const bson_type_t last = IdType(*ends[1]);
      c.mixed_ids = BracketOf(first) != BracketOf(last) || BracketOf(first) == IdBracket::kOther;
      id_is_oid = first == BSON_TYPE_OID;
      if (BracketOf(first) == IdBracket::kNumber) {
        id_type = DataType::kInt64;
      } else if (BracketOf(first) != IdBracket::kString && !id_is_oid) {
        bool listed = false;
        for (const auto& f : config.fields) listed |= f.path == "_id";
        if (!listed) {
          return absl::InvalidArgumentError(StrCat(
              "mongodb collection ", full, ": _id is ", MongoIdText(ends[0]->get()),
              ", neither an ObjectId, a string nor a number; list _id in "
              "[source.mongodb.fields] as VarChar or Int64"));
        }
      }
      if (c.mixed_ids) {
        spdlog::warn("mongodb: {}: the _ids are of different BSON types (the first {}, the "
                     "last {}), so the collection is read as one task, from its start again "
                     "if interrupted; documents whose _id does not fit the pk are invalid",
                     full, MongoIdText(ends[0]->get()), MongoIdText(ends[1]->get()));
      }
    }
    ASSIGN_OR_RETURN(c.schema, MapMongoSchema(config, target, id_type, id_is_oid));
    const int tasks = static_cast<int>(
        std::max<int64_t>(1, std::min<int64_t>(std::max(config.tasks, 1), c.count)));
    state->collections.push_back(std::move(c));
    state->config = config;
    ASSIGN_OR_RETURN(state->collections.back().splits,
                     state->SplitPoints(state->collections.back(), filter, tasks));
    state->collections.back().digest = Digest(state->collections.back().splits);
    spdlog::info("mongodb: {}: {} matching documents in {} task(s)", full,
                 state->collections.back().count, state->collections.back().splits.size() + 1);
  }
  state->config = std::move(config);
  return std::unique_ptr<MongoSource>(new MongoSource(std::move(state)));
}

Result<std::vector<CollectionPlan>> MongoSource::Plan() {
  std::vector<CollectionPlan> plans;
  for (const auto& c : state_->collections) {
    CollectionPlan plan;
    plan.schema = c.schema.schema;
    plan.metric_type = "L2";
    for (const auto& f : plan.schema->fields) {
      if (f.type == DataType::kBinaryVector) plan.metric_type = "HAMMING";
    }
    plan.total_rows = c.count;
    plan.name_origin = StrCat("[source.mongodb.collections.", c.source, "]");
    const size_t n = c.splits.size() + 1;
    for (size_t i = 0; i < n; ++i) {
      plan.tasks.push_back(SourceTask{.id = StrCat("ids-", i, "-of-", n, "-", c.digest),
                                      .collection = plan.schema->collection,
                                      .rows = n == 1 ? c.count : -1,
                                      .bytes = -1});
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

namespace {

Result<std::pair<size_t, int>> FindTask(const MongoSource::State& state, const SourceTask& task) {
  for (size_t c = 0; c < state.collections.size(); ++c) {
    const auto& coll = state.collections[c];
    if (coll.schema.schema->collection != task.collection) continue;
    int i = 0;
    int n = 0;
    char digest[9] = {0};
    if (std::sscanf(task.id.c_str(), "ids-%d-of-%d-%8s", &i, &n, digest) == 3 &&
        static_cast<size_t>(n) == coll.splits.size() + 1 && i >= 0 && i < n &&
        coll.digest == digest) {
      return std::make_pair(c, i);
    }
  }
  return absl::NotFoundError(StrCat("mongodb: no task '", task.id, "' of collection '",
                                    task.collection, "' in this plan"));
}

}  // namespace

Result<std::unique_ptr<BatchReader>> MongoSource::OpenTask(const SourceTask& task) {
  ASSIGN_OR_RETURN(auto where, FindTask(*state_, task));
  return std::unique_ptr<BatchReader>(
      std::make_unique<MongoRangeReader>(state_, where.first, where.second, std::nullopt));
}

Result<std::unique_ptr<BatchReader>> MongoSource::OpenTaskAt(const SourceTask& task,
                                                             const std::string& position) {
  ASSIGN_OR_RETURN(auto where, FindTask(*state_, task));
  auto after = BsonDoc::FromJson(position, "a checkpointed position");
  if (!after.ok() || IdType(*after) == BSON_TYPE_EOD ||
      state_->collections[where.first].mixed_ids) {
    return absl::FailedPreconditionError(StrCat(
        "mongodb: task ", task.id, " was checkpointed at ", position,
        ", which is not an _id this collection can continue after; dump into a new output "
        "directory"));
  }
  return std::unique_ptr<BatchReader>(std::make_unique<MongoRangeReader>(
      state_, where.first, where.second, std::move(*after)));
}

}  // namespace mm
