#include "sources/elasticsearch/es_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "milvus/name_rules.h"
#include "sources/elasticsearch/es_hit_decoder.h"
#include "sources/elasticsearch/es_mapping.h"
#include "sources/elasticsearch/es_schema.h"

namespace mm {
namespace {

using nlohmann::json;

constexpr const char* kKeepAlive = "10m";
constexpr int64_t kMaxPage = 10000;  // index.max_result_window's default

// The 2.x metric of the vector field's similarity (8.x mappings); L2 when absent (7.x).
std::string MetricOf(const std::string& mapping_json, const std::string& field) {
  json root = json::parse(mapping_json, nullptr, false);
  if (!root.is_object()) return "L2";
  for (const auto& [index, body] : root.items()) {
    const json* p = &body;
    for (const char* key : {"mappings", "properties"}) {
      if (!p->contains(key)) return "L2";
      p = &(*p)[key];
    }
    if (!p->contains(field)) return "L2";
    std::string similarity = (*p)[field].value("similarity", "");
    if (similarity == "dot_product" || similarity == "max_inner_product") return "IP";
    if (similarity == "cosine") return "COSINE";
    return "L2";
  }
  return "L2";
}

}  // namespace

struct EsSource::State {
  std::shared_ptr<EsClient> client;
  ElasticsearchConfig config;
  EsCollectionSchema schema;
  EsMappingCheck mapping;
  std::string metric;
  int64_t count = 0;
  bool use_pit = false;
  std::mutex mu;
  std::string pit_id;  // opened on the first task

  ~State() {
    if (!pit_id.empty()) {
      auto closed = client->Send("DELETE", "/_pit", json{{"id", pit_id}}.dump());
      if (!closed.ok()) spdlog::warn("elasticsearch: closing the point in time failed");
    }
  }

  Result<std::string> Pit() {
    std::lock_guard<std::mutex> lock(mu);
    if (pit_id.empty()) {
      ASSIGN_OR_RETURN(std::string body,
                       client->Call("POST", StrCat("/", config.index, "/_pit?keep_alive=",
                                                   kKeepAlive)));
      json j = json::parse(body, nullptr, false);
      if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
        return absl::DataLossError("elasticsearch: opening a point in time gave no id");
      }
      pit_id = j["id"].get<std::string>();
    }
    return pit_id;
  }

  // The request body of a page, without pit / search_after / scroll.
  json Query(int slice, int slices) const {
    json source = json::array();
    json docvalues = json::array();
    for (const auto& f : config.fields) {
      if (f.name == "_id") continue;
      if (f.type == "date") {
        docvalues.push_back({{"field", f.name}, {"format", "epoch_millis"}});
      } else if (mapping.from_doc_values.count(f.name)) {
        docvalues.push_back(f.name);
      } else {
        source.push_back(f.name);
      }
    }
    json q = {{"size", std::min<int64_t>(std::max<int64_t>(config.batch_docs, 1), kMaxPage)},
              {"track_total_hits", false}};
    q["_source"] = source.empty() ? json(false) : json{{"includes", source}};
    if (!docvalues.empty()) q["docvalue_fields"] = docvalues;
    if (slices > 1) q["slice"] = {{"id", slice}, {"max", slices}};
    return q;
  }
};

namespace {

// One slice, page by page.
class EsSliceReader : public BatchReader {
 public:
  EsSliceReader(std::shared_ptr<EsSource::State> state, int slice, int slices)
      : state_(std::move(state)),
        slice_(slice),
        slices_(slices),
        decoder_(state_->schema, state_->config.index, state_->config.skip_invalid_docs) {}

  ~EsSliceReader() override {
    if (!scroll_id_.empty()) {
      auto cleared = state_->client->Send("DELETE", "/_search/scroll",
                                          json{{"scroll_id", json::array({scroll_id_})}}.dump());
      if (!cleared.ok()) spdlog::warn("elasticsearch: clearing a scroll failed");
    }
  }

  const SchemaPtr& schema() const override { return state_->schema.schema; }

  Result<std::optional<Batch>> Next() override {
    if (done_) return std::optional<Batch>();
    ASSIGN_OR_RETURN(std::string body, Fetch());
    Batch batch(state_->schema.schema);
    ASSIGN_OR_RETURN(EsPage page, decoder_.Decode(body, &batch));
    if (!page.scroll_id.empty()) scroll_id_ = page.scroll_id;
    if (page.hits == 0) {
      done_ = true;
      return std::optional<Batch>();
    }
    if (!page.last_sort.empty()) search_after_ = page.last_sort;
    read_ += page.hits;
    return std::optional<Batch>(std::move(batch));
  }

 private:
  Result<std::string> Fetch() {
    const auto& client = *state_->client;
    if (state_->use_pit) {
      ASSIGN_OR_RETURN(std::string pit, state_->Pit());
      json q = state_->Query(slice_, slices_);
      q["pit"] = {{"id", pit}, {"keep_alive", kKeepAlive}};
      q["sort"] = json::array({{{"_shard_doc", "asc"}}});
      if (!search_after_.empty()) q["search_after"] = json::parse(search_after_);
      return Annotate(client.Call("POST", "/_search", q.dump()));
    }
    if (scroll_id_.empty()) {
      json q = state_->Query(slice_, slices_);
      q.erase("track_total_hits");  // a scroll refuses it
      q["sort"] = json::array({"_doc"});
      return Annotate(client.Call(
          "POST", StrCat("/", state_->config.index, "/_search?scroll=", kKeepAlive), q.dump()));
    }
    return Annotate(client.Call("POST", "/_search/scroll",
                                json{{"scroll", kKeepAlive}, {"scroll_id", scroll_id_}}.dump()));
  }

  // A lost scroll or point in time cannot be resumed at the same place: say so.
  Result<std::string> Annotate(Result<std::string> r) const {
    if (r.ok() || r.status().code() != absl::StatusCode::kNotFound) return r;
    return absl::UnavailableError(StrCat(
        "elasticsearch index '", state_->config.index, "' slice ", slice_, " of ", slices_,
        ": the search context expired or was lost after ", read_,
        " documents (", r.status().message(), "); run the command again to read the index "
        "afresh"));
  }

  std::shared_ptr<EsSource::State> state_;
  int slice_;
  int slices_;
  EsHitDecoder decoder_;
  std::string scroll_id_;
  std::string search_after_;
  int64_t read_ = 0;
  bool done_ = false;
};

}  // namespace

EsSource::EsSource(std::shared_ptr<State> state) : state_(std::move(state)) {}
EsSource::~EsSource() = default;

int64_t EsSource::document_count() const { return state_->count; }

Result<std::unique_ptr<EsSource>> EsSource::Open(std::shared_ptr<EsClient> client,
                                                 ElasticsearchConfig config) {
  auto state = std::make_shared<State>();
  state->client = client;
  const std::string index = config.index;
  auto mapping = client->Call("GET", StrCat("/", index, "/_mapping"));
  if (!mapping.ok() && mapping.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(StrCat("[meta.index] elasticsearch index '", index,
                                      "' does not exist at ", client->base_url()));
  }
  if (!mapping.ok() && mapping.status().code() == absl::StatusCode::kPermissionDenied) {
    // A read-only credential (a service account, say) may search without seeing mappings.
    spdlog::warn("elasticsearch: these credentials may not read the mapping of '{}', so the "
                 "fields are checked document by document instead", index);
    mapping = std::string("{}");
  } else {
    RETURN_IF_ERROR(mapping.status());
    ASSIGN_OR_RETURN(state->mapping, CheckEsMapping(config, *mapping));
  }
  ASSIGN_OR_RETURN(std::string count, client->Call("GET", StrCat("/", index, "/_count")));
  json c = json::parse(count, nullptr, false);
  state->count = c.is_object() ? c.value("count", int64_t{0}) : 0;

  std::string collection = config.collection;
  if (collection.empty()) {
    collection = ToMilvus2xName(index);
    if (collection != index) {
      spdlog::warn("elasticsearch: index '{}' is not a valid Milvus 2.x collection name; the "
                   "collection is '{}' (set meta.milvus.collection to choose another)",
                   index, collection);
    }
  } else {
    RETURN_IF_ERROR(ValidateMilvus2xName(collection, "[meta.milvus.collection]"));
  }
  ASSIGN_OR_RETURN(state->schema, MapEsSchema(config, collection));
  for (const auto& f : config.fields) {
    if (f.type == "dense_vector") {
      state->metric = MetricOf(*mapping, f.name);
      break;
    }
  }
  // _shard_doc, the tiebreaker search_after needs over a point in time, came in 7.12.
  const EsVersion& v = client->version();
  const bool has_pit = v.major > 7 || (v.major == 7 && v.minor >= 12);
  if (config.read_mode == "pit" && !has_pit) {
    return absl::InvalidArgumentError(StrCat(
        "[source.es.readMode] pit needs Elasticsearch 7.12 or later (_shard_doc); ",
        client->base_url(), " runs ", v.number));
  }
  state->use_pit = config.read_mode == "pit" || (config.read_mode == "auto" && has_pit);
  state->config = std::move(config);
  spdlog::info("elasticsearch: index '{}': {} documents, read with {} in {} slice(s)", index,
               state->count, state->use_pit ? "a point in time" : "scrolls",
               std::max(state->config.slices, 1));
  return std::unique_ptr<EsSource>(new EsSource(std::move(state)));
}

Result<std::vector<CollectionPlan>> EsSource::Plan() {
  CollectionPlan plan;
  plan.schema = state_->schema.schema;
  plan.metric_type = state_->metric;
  plan.shards_num = state_->config.shard_num;
  plan.consistency_level = state_->config.consistency_level == "Customized"
                               ? ""
                               : state_->config.consistency_level;
  plan.total_rows = state_->count;
  plan.tasks_resumable = false;
  const int slices = std::max(state_->config.slices, 1);
  for (int i = 0; i < slices; ++i) {
    plan.tasks.push_back(SourceTask{.id = StrCat("slice-", i, "-of-", slices),
                                    .collection = plan.schema->collection,
                                    .rows = -1,
                                    .bytes = -1});
  }
  return std::vector<CollectionPlan>{std::move(plan)};
}

Result<std::unique_ptr<BatchReader>> EsSource::OpenTask(const SourceTask& task) {
  int slice = 0;
  int slices = 0;
  if (std::sscanf(task.id.c_str(), "slice-%d-of-%d", &slice, &slices) != 2 || slices < 1 ||
      slice < 0 || slice >= slices) {
    return absl::NotFoundError(StrCat("elasticsearch: no task '", task.id, "'"));
  }
  return std::unique_ptr<BatchReader>(std::make_unique<EsSliceReader>(state_, slice, slices));
}

}  // namespace mm
