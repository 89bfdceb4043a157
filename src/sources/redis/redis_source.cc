#include "sources/redis/redis_source.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "milvus/name_rules.h"
#include "sources/redis/redis_client.h"
#include "sources/redis/redis_cluster.h"
#include "sources/redis/redis_ft_info.h"
#include "sources/redis/redis_row_decoder.h"

namespace mm {
namespace {

using nlohmann::json;

constexpr const char* kServerTask = "scan";

// SCAN's TYPE filter for the key type: keys of other types under the prefix are not read.
const char* ScanType(RedisKeyType t) {
  switch (t) {
    case RedisKeyType::kHash: return "hash";
    case RedisKeyType::kJson: return "ReJSON-RL";
    default: return "string";
  }
}

const char* KeyTypeName(RedisKeyType t) {
  switch (t) {
    case RedisKeyType::kHash: return "hash";
    case RedisKeyType::kJson: return "json";
    default: return "string";
  }
}

}  // namespace

struct RedisSource::State {
  RedisConfig config;
  std::vector<RedisFieldConfig> fields;  // schema order
  SchemaPtr schema;
  RedisKeyType key_type = RedisKeyType::kHash;
  std::string prefix;   // taken off keys for a pk: key field
  std::string pattern;  // SCAN MATCH
  std::string metric;
  bool cluster = false;
  std::vector<RedisClusterMaster> masters;

  // The connection a task reads through: the server, or the master now serving the task's
  // first slot.
  Result<std::unique_ptr<RedisClient>> Connect(const SourceTask& task) const {
    if (!cluster) {
      if (task.id != kServerTask) {
        return absl::NotFoundError(StrCat("redis: no task '", task.id, "' on a standalone server"));
      }
      return RedisClient::Connect(config.endpoint);
    }
    int slot = -1;
    if (std::sscanf(task.id.c_str(), "slots-%d", &slot) != 1 || slot < 0) {
      return absl::NotFoundError(StrCat("redis: no task '", task.id, "' in a cluster"));
    }
    ASSIGN_OR_RETURN(auto seed, RedisClient::Connect(config.endpoint));
    ASSIGN_OR_RETURN(RedisReply nodes, seed->Command({"CLUSTER", "NODES"}));
    if (!nodes.is_string()) {
      return absl::UnavailableError(StrCat("redis ", seed->address(), ": CLUSTER NODES answered ",
                                           nodes.str));
    }
    ASSIGN_OR_RETURN(auto masters, ParseClusterNodes(nodes.str));
    for (const auto& m : masters) {
      for (const auto& [a, b] : m.slots) {
        if (slot < a || slot > b) continue;
        RedisEndpoint ep = config.endpoint;
        if (!m.host.empty()) ep.host = m.host;
        ep.port = m.port;
        return RedisClient::Connect(ep);
      }
    }
    return absl::UnavailableError(StrCat("redis: no master of the cluster serves slot ", slot,
                                         " (task ", task.id, ") now"));
  }
};

namespace {

// One task: SCAN pages, each read in one pipeline and yielded as one batch.
class RedisScanReader : public BatchReader {
 public:
  RedisScanReader(std::shared_ptr<RedisSource::State> state, std::unique_ptr<RedisClient> client,
                  std::string cursor, std::vector<std::string> done)
      : state_(std::move(state)),
        client_(std::move(client)),
        decoder_(state_->schema, state_->fields, state_->key_type, state_->prefix,
                 state_->config.skip_invalid_rows),
        cursor_(std::move(cursor)),
        carried_(std::move(done)) {}

  const SchemaPtr& schema() const override { return state_->schema; }

  Result<std::optional<Batch>> Next() override {
    while (!finished_) {
      const std::string page_cursor = cursor_;
      ASSIGN_OR_RETURN(RedisReply page,
                       client_->Command({"SCAN", cursor_, "MATCH", state_->pattern, "COUNT",
                                         std::to_string(state_->config.scan_count), "TYPE",
                                         ScanType(state_->key_type)}));
      if (page.is_error()) {
        return absl::UnavailableError(StrCat("redis ", client_->address(), ": SCAN ", cursor_,
                                             " answered ", page.str));
      }
      if (!page.is_array() || page.elements.size() != 2 || !page.elements[0].is_string() ||
          !page.elements[1].is_array()) {
        return absl::DataLossError(StrCat("redis ", client_->address(), ": SCAN ", cursor_,
                                          " answered something other than [cursor, keys]"));
      }
      cursor_ = page.elements[0].str;
      finished_ = cursor_ == "0";
      // Keys of this page dumped before a restart, when it is the page a checkpoint was in.
      std::unordered_set<std::string> skip;
      if (page_cursor == carried_cursor()) skip.insert(carried_.begin(), carried_.end());
      std::vector<std::string> keys;
      for (auto& k : page.elements[1].elements) {
        if (!skip.count(k.str)) keys.push_back(std::move(k.str));
      }
      if (page_cursor != carried_cursor()) carried_.clear();
      if (keys.empty()) continue;
      std::vector<std::vector<std::string>> reads;
      reads.reserve(keys.size());
      for (const auto& k : keys) reads.push_back(decoder_.ReadCommand(k));
      ASSIGN_OR_RETURN(std::vector<RedisReply> replies, client_->Pipeline(reads));
      Batch batch(state_->schema);
      order_.clear();
      page_cursor_ = page_cursor;
      for (size_t i = 0; i < keys.size(); ++i) {
        const int64_t before = batch.num_rows();
        ASSIGN_OR_RETURN(RedisRowOutcome outcome, decoder_.Decode(keys[i], replies[i], &batch));
        order_.emplace_back(std::move(keys[i]), outcome == RedisRowOutcome::kRow ? before : -1);
      }
      return std::optional<Batch>(std::move(batch));
    }
    return std::optional<Batch>();
  }

  std::string PositionAfter(int64_t row) const override {
    size_t idx = 0;
    while (idx < order_.size() && order_[idx].second != row) ++idx;
    if (idx == order_.size()) return "";
    if (idx + 1 == order_.size() && !finished_) {
      return json{{"cursor", cursor_}, {"done", json::array()}}.dump();
    }
    json done = json::array();
    if (page_cursor_ == carried_cursor_) {
      for (const auto& k : carried_) done.push_back(absl::BytesToHexString(k));
    }
    for (size_t i = 0; i <= idx; ++i) done.push_back(absl::BytesToHexString(order_[i].first));
    return json{{"cursor", page_cursor_}, {"done", done}}.dump();
  }

  // Where the carried keys belong: the cursor this reader was opened at.
  void set_carried_cursor(std::string c) { carried_cursor_ = std::move(c); }

 private:
  const std::string& carried_cursor() const { return carried_cursor_; }

  std::shared_ptr<RedisSource::State> state_;
  std::unique_ptr<RedisClient> client_;
  RedisRowDecoder decoder_;
  std::string cursor_;          // where the next SCAN starts
  std::vector<std::string> carried_;  // keys of the first page dumped by an earlier run
  std::string carried_cursor_ = "0";
  bool finished_ = false;
  // The last page: its cursor, and its keys in source order with their row in the batch
  // (-1 for a key left out).
  std::string page_cursor_;
  std::vector<std::pair<std::string, int64_t>> order_;
};

}  // namespace

RedisSource::RedisSource(std::shared_ptr<State> state) : state_(std::move(state)) {}
RedisSource::~RedisSource() = default;

Result<std::unique_ptr<RedisSource>> RedisSource::Open(const RedisConfig& config) {
  auto state = std::make_shared<State>();
  state->config = config;
  state->key_type = config.key_type;
  ASSIGN_OR_RETURN(auto client, RedisClient::Connect(config.endpoint));
  std::vector<RedisFieldConfig> fields = config.fields;
  std::string prefix = config.prefix;
  std::string collection = config.collection;
  if (!config.index.empty()) {
    ASSIGN_OR_RETURN(RedisReply reply, client->Command({"FT.INFO", config.index}));
    if (reply.is_error()) {
      const std::string lower = absl::AsciiStrToLower(reply.str);
      if (absl::StrContains(lower, "unknown command")) {
        return absl::FailedPreconditionError(StrCat(
            "[source.redis.index] needs RediSearch (FT.INFO), which redis ", client->address(),
            " does not have; list the fields in source.redis.fields instead"));
      }
      return absl::NotFoundError(StrCat("[source.redis.index] FT.INFO ", config.index,
                                        " answered: ", reply.str));
    }
    ASSIGN_OR_RETURN(RedisIndexInfo info, ParseFtInfo(config.index, reply));
    if (config.key_type_set && info.key_type != config.key_type &&
        !(config.key_type == RedisKeyType::kString && info.key_type == RedisKeyType::kJson)) {
      return absl::InvalidArgumentError(StrCat("[source.redis.keyType] is ",
                                               KeyTypeName(config.key_type), " but index '",
                                               config.index, "' covers ",
                                               KeyTypeName(info.key_type), " keys"));
    }
    if (!config.key_type_set) state->key_type = info.key_type;
    if (prefix.empty() && config.match.empty()) {
      if (info.prefixes.size() > 1) {
        return absl::InvalidArgumentError(StrCat(
            "[source.redis.prefix] index '", config.index, "' covers ", info.prefixes.size(),
            " prefixes; set source.redis.prefix (or match) to the keys to migrate"));
      }
      if (!info.prefixes.empty()) prefix = info.prefixes[0];
    }
    if (fields.empty()) {
      fields = info.fields;
      std::string key_name = "key";
      for (const auto& f : fields) {
        if (f.name == key_name) key_name = "_key";
      }
      RedisFieldConfig pk;
      pk.name = key_name;
      pk.type = DataType::kVarChar;
      pk.pk = true;
      pk.from_key = true;
      fields.insert(fields.begin(), pk);
    }
    for (const auto& note : info.notes) {
      spdlog::warn("redis: index '{}': field {} is not migrated", config.index, note);
    }
    if (config.metric_type.empty()) state->metric = info.metric;
    if (collection.empty()) {
      collection = ToMilvus2xName(config.index);
      spdlog::info("redis: the collection is '{}', after index '{}'", collection, config.index);
    }
  }
  if (state->key_type != RedisKeyType::kHash) {
    for (const auto& f : fields) {
      if (IsVectorType(f.type) && f.type != DataType::kFloatVector) {
        return absl::InvalidArgumentError(StrCat(
            "[source.redis.fields] vector '", f.name, "' is ", DataTypeName(f.type),
            ": JSON documents hold vectors as arrays of numbers, read as FloatVector"));
      }
    }
  }
  ASSIGN_OR_RETURN(state->schema, RedisSchema(fields, collection));
  state->fields = std::move(fields);
  state->prefix = config.match.empty() ? prefix : "";
  state->pattern = config.match.empty() ? RedisPrefixPattern(prefix) : config.match;
  if (state->metric.empty()) state->metric = config.metric_type.empty() ? "L2" : config.metric_type;

  ASSIGN_OR_RETURN(RedisReply info, client->Command({"INFO", "cluster"}));
  state->cluster = info.is_string() && absl::StrContains(info.str, "cluster_enabled:1");
  if (state->cluster) {
    if (config.endpoint.db != 0) {
      return absl::InvalidArgumentError(StrCat("[source.redis.url] names db ", config.endpoint.db,
                                               ", but a Redis Cluster has only db 0"));
    }
    ASSIGN_OR_RETURN(RedisReply nodes, client->Command({"CLUSTER", "NODES"}));
    if (!nodes.is_string()) {
      return absl::UnavailableError(StrCat("redis ", client->address(),
                                           ": CLUSTER NODES answered ", nodes.str));
    }
    ASSIGN_OR_RETURN(state->masters, ParseClusterNodes(nodes.str));
    if (state->masters.empty()) {
      return absl::UnavailableError(StrCat("redis ", client->address(),
                                           ": the cluster has no master serving slots"));
    }
  }
  spdlog::info("redis: {} db {}: {} keys matching '{}', {} task(s){}", client->address(),
               config.endpoint.db, KeyTypeName(state->key_type), state->pattern,
               state->cluster ? state->masters.size() : 1,
               state->cluster ? " (one a cluster master)" : "");
  return std::unique_ptr<RedisSource>(new RedisSource(std::move(state)));
}

Result<std::vector<CollectionPlan>> RedisSource::Plan() {
  CollectionPlan plan;
  plan.schema = state_->schema;
  plan.metric_type = state_->metric;
  plan.name_origin = state_->config.collection.empty()
                         ? StrCat("the name of index '", state_->config.index, "'")
                         : std::string("[target.create.collection.name]");
  if (state_->cluster) {
    for (const auto& m : state_->masters) {
      plan.tasks.push_back(SourceTask{.id = RedisClusterTaskId(m),
                                      .collection = plan.schema->collection});
    }
  } else {
    plan.tasks.push_back(SourceTask{.id = kServerTask, .collection = plan.schema->collection});
  }
  return std::vector<CollectionPlan>{std::move(plan)};
}

Result<std::unique_ptr<BatchReader>> RedisSource::OpenTask(const SourceTask& task) {
  ASSIGN_OR_RETURN(auto client, state_->Connect(task));
  return std::unique_ptr<BatchReader>(
      std::make_unique<RedisScanReader>(state_, std::move(client), "0", std::vector<std::string>{}));
}

Result<std::unique_ptr<BatchReader>> RedisSource::OpenTaskAt(const SourceTask& task,
                                                             const std::string& position) {
  json p = json::parse(position, nullptr, false);
  auto bad = [&]() {
    return absl::FailedPreconditionError(StrCat(
        "redis: task ", task.id, " was checkpointed at ", position.substr(0, 200),
        ", which is not a SCAN position; dump into a new output directory"));
  };
  if (!p.is_object() || !p.contains("cursor") || !p["cursor"].is_string() ||
      !p.contains("done") || !p["done"].is_array()) {
    return bad();
  }
  std::vector<std::string> done;
  for (const auto& k : p["done"]) {
    std::string bytes;
    if (!k.is_string()) return bad();
    const std::string& hex = k.get_ref<const std::string&>();
    if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return bad();
    }
    done.push_back(absl::HexStringToBytes(hex));
  }
  ASSIGN_OR_RETURN(auto client, state_->Connect(task));
  const std::string cursor = p["cursor"].get<std::string>();
  auto reader = std::make_unique<RedisScanReader>(state_, std::move(client), cursor,
                                                  std::move(done));
  reader->set_carried_cursor(cursor);
  spdlog::info("redis: task {} resumes at SCAN cursor {}", task.id, cursor);
  return std::unique_ptr<BatchReader>(std::move(reader));
}

}  // namespace mm
