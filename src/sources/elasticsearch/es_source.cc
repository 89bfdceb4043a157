#include "sources/elasticsearch/es_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "milvus/name_rules.h"
#include "sources/elasticsearch/es_hit_decoder.h"
#include "sources/elasticsearch/es_mapping.h"
#include "sources/elasticsearch/es_schema.h"

namespace mm {
namespace {

using nlohmann::json;

constexpr const char* kKeepAlive = "10m";
constexpr int64_t kMaxPage = 10000;  // index.max_result_window's default
// The JSON a page aims at when dumper.worker.reader.bufferSize is not set. A page is held
// three times over while it is decoded (the body, simdjson's tape of ~16 bytes a number,
// its structural indexes), per slice: 2,500 documents of 768 floats (~40 MB of JSON) made
// a two-slice dump peak near 300 MB; 8 MB pages keep it near 100 MB whatever the documents.
constexpr int64_t kEsPageBytes = 8 << 20;
// Documents of the probe that measures a document's JSON before the first page.
constexpr int64_t kProbeDocs = 16;

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
  // The pk field when the index sorts by it (doc values; not _id): slices are then read in
  // pk order, and a lost search context or a rerun continues after the last pk read.
  std::string sort_field;
  size_t pk_column = 0;  // the pk's column in the schema
  // What slices hash: documents then fall into the same slice in every point in time or
  // scroll, so a slice dumped by an earlier run is the same slice now. A numeric pk (doc
  // values) is cheaper to hash than _id.
  std::string slice_field = "_id";  // "" = the point in time's own slicing
  bool stable_slices = true;        // false: a rerun must read every slice again
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

  // A search through the point in time `used` answered with `returned`: ES may hand out a
  // new id for the same point in time with any page, and asks clients to go on with the
  // newest. Slices share one, so it changes only if no other slice has replaced it since.
  void UpdatePit(const std::string& used, const std::string& returned) {
    std::lock_guard<std::mutex> lock(mu);
    if (!returned.empty() && pit_id == used) pit_id = returned;
  }

  // The point in time `lost` is gone (expired, or its node restarted): the next Pit() opens
  // a new one, unless another slice has done so already. Whatever is left of it on shards
  // that still hold it is closed now rather than when its keep-alive runs out.
  void ForgetPit(const std::string& lost) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (pit_id != lost) return;
      pit_id.clear();
    }
    client->Send("DELETE", "/_pit", json{{"id", lost}}.dump()).IgnoreError();
  }

  // The request body of a page without pit / search_after / scroll: documents of `slice`
  // whose sort value is above `after` (JSON; "" for all), in sort order.
  // `page_docs`: documents a page (capped at kMaxPage).
  json Query(int slice, int slices, const std::string& after, int64_t page_docs) const {
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
    json q = {{"size", std::min<int64_t>(std::max<int64_t>(page_docs, 1), kMaxPage)}};
    if (use_pit) q["track_total_hits"] = false;  // a scroll refuses it
    if (config.dynamic_unlisted_fields) {
      q["_source"] = true;  // the fields not listed go to $meta
    } else {
      q["_source"] = source.empty() ? json(false) : json{{"includes", source}};
    }
    if (!docvalues.empty()) q["docvalue_fields"] = docvalues;
    if (slices > 1) {
      q["slice"] = {{"id", slice}, {"max", slices}};
      if (!slice_field.empty()) q["slice"]["field"] = slice_field;
    }
    if (!after.empty()) {
      q["query"] = {{"range", {{sort_field, {{"gt", json::parse(after)}}}}}};
    }
    if (!sort_field.empty()) {
      q["sort"] = json::array({{{sort_field, "asc"}}});
    } else if (use_pit) {
      q["sort"] = json::array({{{"_shard_doc", "asc"}}});
    } else {
      q["sort"] = json::array({"_doc"});
    }
    return q;
  }

  // A task's position: the sort field and the last value read, as JSON.
  std::string Position(const json& value) const {
    return json{{"sort", sort_field}, {"after", value}}.dump();
  }
};

namespace {

// One slice, page by page.
class EsSliceReader : public BatchReader {
 public:
  // `after`: the sort value to continue after (JSON), "" to read the slice from its start.
  EsSliceReader(std::shared_ptr<EsSource::State> state, int slice, int slices,
                std::string after)
      : state_(std::move(state)),
        slice_(slice),
        slices_(slices),
        decoder_(state_->schema, state_->config.index, state_->config.skip_invalid_docs),
        after_(after),
        last_sort_value_(std::move(after)) {}

  ~EsSliceReader() override { ClearScroll(/*warn=*/true); }

  const SchemaPtr& schema() const override { return state_->schema.schema; }

  Result<std::optional<Batch>> Next() override {
    if (done_) return std::optional<Batch>();
    Batch batch(state_->schema.schema);
    ASSIGN_OR_RETURN(EsPage page, FetchOrReopen(&batch));
    if (!page.scroll_id.empty()) scroll_id_ = page.scroll_id;
    if (state_->use_pit) state_->UpdatePit(pit_, page.pit_id);
    if (page.hits == 0) {
      done_ = true;
      return std::optional<Batch>();
    }
    if (!page.last_sort.empty()) {
      search_after_ = page.last_sort;
      if (!state_->sort_field.empty()) {
        json sort = json::parse(page.last_sort, nullptr, false);
        if (sort.is_array() && !sort.empty()) last_sort_value_ = sort[0].dump();
      }
    }
    read_ += page.hits;
    last_pks_.clear();
    if (!state_->sort_field.empty()) {
      const Column& pk = batch.column(state_->pk_column);
      last_pks_.reserve(static_cast<size_t>(batch.num_rows()));
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        last_pks_.push_back(pk.type() == DataType::kInt64 ? json(pk.scalar<int64_t>(r))
                                                          : json(std::string(pk.value(r))));
      }
    }
    return std::optional<Batch>(std::move(batch));
  }

  // Rows come in pk order, so the pk of a row is where to continue after it.
  std::string PositionAfter(int64_t row) const override {
    if (row < 0 || static_cast<size_t>(row) >= last_pks_.size()) return "";
    return state_->Position(last_pks_[static_cast<size_t>(row)]);
  }

 private:
  // A page, decoded into `batch`. A search context lost on the way (expired, its node
  // restarted, or some shards' contexts gone) is opened again after the last sort value
  // read, when the slice is read in pk order.
  Result<EsPage> FetchOrReopen(Batch* batch) {
    // Contexts lost again and again on one page mean something keeps dropping them: give up
    // after a few, pausing a little longer each time, and let a rerun continue.
    constexpr int kMaxReopens = 5;
    for (int reopened = 0;; ++reopened) {
      auto body = Fetch();
      Result<EsPage> page =
          body.ok() ? decoder_.Decode(*body, batch) : Result<EsPage>(body.status());
      // The next page's size follows the documents' JSON size as the dump goes.
      if (page.ok() && page->hits > 0) {
        doc_bytes_ = std::max<int64_t>(1, static_cast<int64_t>(body->size()) / page->hits);
      }
      // NotFound: the context is gone. Aborted: a scroll page's answer was lost, and the
      // scroll has moved past it. Either way the slice goes on after its last sort value.
      if (page.ok() || (page.status().code() != absl::StatusCode::kNotFound &&
                        page.status().code() != absl::StatusCode::kAborted)) {
        return page;
      }
      if (state_->sort_field.empty() || reopened == kMaxReopens) return Lost(page.status());
      spdlog::warn("elasticsearch: index '{}' slice {} of {}: the search context was lost "
                   "after {} documents ({}); reading on in a new one after {} {}",
                   state_->config.index, slice_, slices_, read_,
                   std::string(page.status().message()), state_->sort_field,
                   last_sort_value_.empty() ? "(start)" : last_sort_value_);
      if (reopened > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 * reopened));
      *batch = Batch(state_->schema.schema);
      if (state_->use_pit) state_->ForgetPit(pit_);
      ClearScroll(/*warn=*/false);  // what is left of it on shards that still hold it
      search_after_.clear();
      after_ = last_sort_value_;
    }
  }

  // Documents a page: bufferSize when set; otherwise as many as fit kEsPageBytes by the
  // JSON size a document had in the last body (or in a probe of a few, before the first),
  // at most bufferSize's default.
  Result<int64_t> PageDocs() {
    const ElasticsearchConfig& config = state_->config;
    if (config.batch_docs_set) return config.batch_docs;
    if (doc_bytes_ == 0) {
      // A plain search of the slice's first documents (a slice needs a scroll or a point in
      // time, so the probe reads the index's first ones: documents are alike enough).
      json q = state_->Query(0, 1, after_, kProbeDocs);
      q["track_total_hits"] = false;
      q.erase("sort");  // _shard_doc needs a point in time; any order measures as well
      ASSIGN_OR_RETURN(std::string body,
                       state_->client->Call("POST", StrCat("/", config.index, "/_search"),
                                            q.dump()));
      json parsed = json::parse(body, nullptr, false);
      int64_t hits = 0;
      if (parsed.is_object() && parsed.contains("hits") && parsed["hits"].contains("hits") &&
          parsed["hits"]["hits"].is_array()) {
        hits = static_cast<int64_t>(parsed["hits"]["hits"].size());
      }
      doc_bytes_ = hits > 0 ? std::max<int64_t>(1, static_cast<int64_t>(body.size()) / hits)
                            : 1;
      spdlog::info("elasticsearch: index '{}' slice {} of {}: pages of {} documents (~{} bytes "
                   "of JSON each; dumper.worker.reader.bufferSize sets a fixed number)",
                   config.index, slice_, slices_,
                   std::clamp<int64_t>(kEsPageBytes / doc_bytes_, 1, config.batch_docs),
                   doc_bytes_);
    }
    return std::clamp<int64_t>(kEsPageBytes / doc_bytes_, 1, config.batch_docs);
  }

  Result<std::string> Fetch() {
    const auto& client = *state_->client;
    if (state_->use_pit) {
      ASSIGN_OR_RETURN(pit_, state_->Pit());
      ASSIGN_OR_RETURN(int64_t page_docs, PageDocs());
      json q = state_->Query(slice_, slices_, after_, page_docs);
      q["pit"] = {{"id", pit_}, {"keep_alive", kKeepAlive}};
      if (!search_after_.empty()) q["search_after"] = json::parse(search_after_);
      return client.Call("POST", "/_search", q.dump());
    }
    if (scroll_id_.empty()) {
      // A scroll keeps the size its first page asked for.
      ASSIGN_OR_RETURN(int64_t page_docs, PageDocs());
      return client.Call("POST",
                         StrCat("/", state_->config.index, "/_search?scroll=", kKeepAlive),
                         state_->Query(slice_, slices_, after_, page_docs).dump());
    }
    return client.Call("POST", "/_search/scroll",
                       json{{"scroll", kKeepAlive}, {"scroll_id", scroll_id_}}.dump(),
                       EsRetry::kUnsentOnly);
  }

  void ClearScroll(bool warn) {
    if (scroll_id_.empty()) return;
    auto cleared = state_->client->Send("DELETE", "/_search/scroll",
                                        json{{"scroll_id", json::array({scroll_id_})}}.dump());
    if (!cleared.ok() && warn) spdlog::warn("elasticsearch: clearing a scroll failed");
    scroll_id_.clear();
  }

  // Without a pk order there is no place to continue from: say what a rerun does.
  Status Lost(const Status& st) const {
    return absl::UnavailableError(StrCat(
        "elasticsearch index '", state_->config.index, "' slice ", slice_, " of ", slices_,
        ": the search context expired or was lost after ", read_, " documents (",
        st.message(), "); ",
        state_->sort_field.empty()
            ? "run the command again: it reads this slice again from its start (slices "
              "are only continued part-way when the pk is a keyword or long field)"
            : "it could not be reopened; run the command again to continue"));
  }

  std::shared_ptr<EsSource::State> state_;
  int slice_;
  int slices_;
  EsHitDecoder decoder_;
  std::string after_;            // the range the current search context started after
  std::string last_sort_value_;  // the last hit's sort value (JSON), to reopen after
  std::string pit_;              // the point in time of the last page
  std::string scroll_id_;
  std::string search_after_;
  std::vector<json> last_pks_;   // pks of the last batch's rows, in sort order
  int64_t read_ = 0;
  int64_t doc_bytes_ = 0;  // JSON bytes a document took in the last body; 0 before any
  bool done_ = false;
};

Result<std::pair<int, int>> ParseSliceTask(const SourceTask& task) {
  int slice = 0;
  int slices = 0;
  if (std::sscanf(task.id.c_str(), "slice-%d-of-%d", &slice, &slices) != 2 || slices < 1 ||
      slice < 0 || slice >= slices) {
    return absl::NotFoundError(StrCat("elasticsearch: no task '", task.id, "'"));
  }
  return std::make_pair(slice, slices);
}

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
  ASSIGN_OR_RETURN(state->schema, MapEsSchema(config, collection, state->mapping.bit_vectors));
  for (const auto& f : config.fields) {
    if (f.type == "dense_vector") {
      // ES compares bit vectors by Hamming distance, whatever similarity the mapping shows.
      state->metric = state->mapping.bit_vectors.count(f.name) ? std::string("HAMMING")
                                                              : MetricOf(*mapping, f.name);
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
  const int slices = std::max(config.slices, 1);
  for (size_t i = 0; i < config.fields.size(); ++i) {
    const EsFieldConfig& f = config.fields[i];
    if (!f.pk || f.name == "_id" || !state->mapping.sortable.count(f.name)) continue;
    state->sort_field = f.name;
    if (f.type == "long") state->slice_field = f.name;
    for (size_t c = 0; c < state->schema.sources.size(); ++c) {
      if (state->schema.sources[c].es_name == f.name) state->pk_column = c;
    }
  }
  // A point in time refuses to slice by _id where slices outnumber shards, and its own
  // slicing (by Lucene doc id) differs from one point in time to the next. So without a long
  // pk to slice by, `auto` reads sliced scrolls, whose _id slices are stable.
  const bool id_slices = slices > 1 && state->slice_field == "_id";
  state->use_pit = config.read_mode == "pit" || (config.read_mode == "auto" && has_pit && !id_slices);
  if (state->use_pit && id_slices) {
    state->slice_field.clear();
    state->sort_field.clear();
    state->stable_slices = false;
    spdlog::info("elasticsearch: index '{}': slices of a point in time without a long pk are "
                 "not the same in the next one, so a dump cut short reads every slice again",
                 index);
  } else if (state->sort_field.empty()) {
    spdlog::info("elasticsearch: index '{}' is read in index order: a slice cut short is read "
                 "again from its start (with a keyword or long pk it would continue where it "
                 "stopped)", index);
  }
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
  plan.tasks_resumable = state_->stable_slices;
  plan.name_origin = state_->config.collection.empty()
                         ? StrCat("the name of index '", state_->config.index, "'")
                         : std::string("[meta.milvus.collection]");
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
  ASSIGN_OR_RETURN(auto slice, ParseSliceTask(task));
  return std::unique_ptr<BatchReader>(
      std::make_unique<EsSliceReader>(state_, slice.first, slice.second, ""));
}

Result<std::unique_ptr<BatchReader>> EsSource::OpenTaskAt(const SourceTask& task,
                                                          const std::string& position) {
  ASSIGN_OR_RETURN(auto slice, ParseSliceTask(task));
  json p = json::parse(position, nullptr, false);
  if (!p.is_object() || !p.contains("after") || !p.contains("sort") || !p["sort"].is_string() ||
      p["sort"].get<std::string>() != state_->sort_field || state_->sort_field.empty()) {
    return absl::FailedPreconditionError(StrCat(
        "elasticsearch: task ", task.id, " was checkpointed at ", position,
        ", which does not fit reading index '", state_->config.index, "' sorted by '",
        state_->sort_field, "' now (the pk changed?); dump into a new output directory"));
  }
  return std::unique_ptr<BatchReader>(std::make_unique<EsSliceReader>(
      state_, slice.first, slice.second, p["after"].dump()));
}

}  // namespace mm
