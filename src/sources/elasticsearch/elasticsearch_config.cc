#include "sources/elasticsearch/elasticsearch_config.h"

#include <set>

#include "config/config_limits.h"
#include "sources/meta_milvus_keys.h"
#include "sources/elasticsearch/es_client.h"
#include "sources/elasticsearch/es_source.h"

namespace mm {
namespace {

const std::set<std::string>& KnownTypes() {
  static const std::set<std::string> types = {
      "keyword", "text",  "long",  "integer",   "short",        "byte",   "double",
      "float",   "half_float", "boolean", "date", "dense_vector", "object", "flattened"};
  return types;
}

Status ReadField(const ConfigReader& f, EsFieldConfig* out) {
  RETURN_IF_ERROR(f.Get("name", &out->name));
  RETURN_IF_ERROR(f.Get("type", &out->type));
  RETURN_IF_ERROR(f.Get("pk", &out->pk));
  RETURN_IF_ERROR(f.GetIntInRange("dims", &out->dims, 0, kMaxDim));
  RETURN_IF_ERROR(f.GetIntInRange("maxLen", &out->max_len, 0, 65535));
  RETURN_IF_ERROR(f.Get("isArray", &out->is_array));
  RETURN_IF_ERROR(f.GetIntInRange("maxCapacity", &out->max_capacity, 0, 4096));
  if (out->name.empty()) return f.Invalid("name", "must be set");
  if (!KnownTypes().count(out->type)) {
    return f.Invalid("type", StrCat("'", out->type, "' is not supported; expected one of "
                                    "keyword, text, long, integer, short, byte, double, float, "
                                    "half_float, boolean, date, dense_vector, object, flattened"));
  }
  if (out->type == "dense_vector") {
    if (out->dims <= 0) return f.Invalid("dims", "must be set (> 0) for a dense_vector");
    if (out->pk || out->is_array) return f.Invalid("type", "a dense_vector cannot be pk or isArray");
  } else if (out->dims != 0) {
    return f.Invalid("dims", "is only for dense_vector fields");
  }
  if (out->pk) {
    if (out->type != "keyword" && out->type != "long") {
      return f.Invalid("pk", StrCat("a primary key must be keyword or long, not ", out->type));
    }
    if (out->is_array) return f.Invalid("pk", "a primary key cannot be an array");
  }
  if (out->name == "_id" && out->type != "keyword" && out->type != "long") {
    return f.Invalid("type", "_id can only be declared keyword or long");
  }
  return absl::OkStatus();
}

}  // namespace

Status ReadElasticsearchConfig(const ConfigReader& r, ElasticsearchConfig* out) {
  std::string mode = "config";
  RETURN_IF_ERROR(r.Get("meta.mode", &mode));
  if (mode != "config") {
    return r.Invalid("meta.mode", StrCat("expected config for Elasticsearch, got '", mode, "'"));
  }
  RETURN_IF_ERROR(r.Get("meta.index", &out->index));
  if (out->index.empty()) return r.Invalid("meta.index", "must name the Elasticsearch index");
  ASSIGN_OR_RETURN(std::vector<ConfigReader> items, r.Items("meta.fields"));
  if (items.empty()) return r.Invalid("meta.fields", "must list the fields to migrate");
  std::set<std::string> names;
  int pks = 0;
  int vectors = 0;
  for (const ConfigReader& item : items) {
    EsFieldConfig field;
    RETURN_IF_ERROR(ReadField(item, &field));
    if (!names.insert(field.name).second) {
      return item.Invalid("name", StrCat("'", field.name, "' is listed twice"));
    }
    pks += field.pk ? 1 : 0;
    vectors += field.type == "dense_vector" ? 1 : 0;
    out->fields.push_back(std::move(field));
  }
  if (pks > 1) return r.Invalid("meta.fields", "more than one field has pk: true");
  if (vectors == 0) {
    return r.Invalid("meta.fields", "must include a dense_vector field: a Milvus collection "
                                    "needs a vector field");
  }

  RETURN_IF_ERROR(r.Get("meta.milvus.collection", &out->collection));
  RETURN_IF_ERROR(r.Get("meta.milvus.closeDynamicField", &out->close_dynamic_field));
  RETURN_IF_ERROR(r.Get("meta.milvus.dynamicUnlistedFields", &out->dynamic_unlisted_fields));
  if (out->dynamic_unlisted_fields && out->close_dynamic_field) {
    return r.Invalid("meta.milvus.dynamicUnlistedFields",
                     "needs the dynamic field, but meta.milvus.closeDynamicField is true");
  }
  RETURN_IF_ERROR(ReadMetaMilvusLayout(r, &out->shard_num, &out->consistency_level));

  std::string invalid = "fail";
  RETURN_IF_ERROR(r.Get("meta.invalidDocs", &invalid));
  if (invalid != "fail" && invalid != "skip") {
    return r.Invalid("meta.invalidDocs", StrCat("expected fail or skip, got '", invalid, "'"));
  }
  out->skip_invalid_docs = invalid == "skip";

  EsConnectionConfig& c = out->connection;
  RETURN_IF_ERROR(r.Get("source.es.urls", &c.urls));
  RETURN_IF_ERROR(r.Get("source.es.username", &c.username));
  RETURN_IF_ERROR(r.Get("source.es.password", &c.password));
  RETURN_IF_ERROR(r.Get("source.es.cert", &c.cert));
  RETURN_IF_ERROR(r.Get("source.es.fingerprint", &c.fingerprint));
  RETURN_IF_ERROR(r.Get("source.es.serviceToken", &c.service_token));
  RETURN_IF_ERROR(r.Get("source.es.cloudId", &c.cloud_id));
  RETURN_IF_ERROR(r.Get("source.es.apiKey", &c.api_key));
  RETURN_IF_ERROR(r.GetIntInRange("source.es.slices", &out->slices, 0, kMaxEsSlices));
  RETURN_IF_ERROR(r.Get("source.es.readMode", &out->read_mode));
  if (out->read_mode != "auto" && out->read_mode != "pit" && out->read_mode != "scroll") {
    return r.Invalid("source.es.readMode",
                     StrCat("expected auto, pit or scroll, got '", out->read_mode, "'"));
  }
  if (c.urls.empty() && c.cloud_id.empty()) {
    return r.Invalid("source.es.urls", "must list the cluster's URLs (or set source.es.cloudId)");
  }
  if (c.username.empty() != c.password.empty()) {
    return r.Invalid(c.username.empty() ? "source.es.username" : "source.es.password",
                     "username and password go together");
  }
  return absl::OkStatus();
}

bool RecogniseElasticsearchConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  return r.Has("source.es");
}

Result<std::shared_ptr<const SourceConfig>> ParseElasticsearchSourceConfig(
    ConfigReader& r, MigrationConfig* shared) {
  // For Elasticsearch the Go tool reads reader.bufferSize as documents a page, not KB.
  RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.reader.bufferSize", &shared->reader_buffer_kb,
                                  1, kMaxEsPageDocs, "documents a page"));
  auto es = std::make_shared<ElasticsearchConfig>();
  RETURN_IF_ERROR(ReadElasticsearchConfig(r, es.get()));
  // meta.invalidDocs is ES's older name for dumper.invalidRows: either sets both.
  if (r.Has("meta.invalidDocs") && r.Has("dumper.invalidRows") &&
      es->skip_invalid_docs != shared->skip_invalid_rows) {
    return r.Invalid("dumper.invalidRows",
                     "and [meta.invalidDocs] disagree; they are the same setting: set one");
  }
  if (r.Has("meta.invalidDocs")) shared->skip_invalid_rows = es->skip_invalid_docs;
  es->skip_invalid_docs = shared->skip_invalid_rows;
  if (r.Has("dumper.worker.reader.bufferSize")) {
    es->batch_docs = shared->reader_buffer_kb;
    es->batch_docs_set = true;
  }
  if (es->slices == 0) es->slices = shared->dumper_limit;
  return std::shared_ptr<const SourceConfig>(std::move(es));
}

Result<OpenedSource> OpenElasticsearchSource(const SourceConfig& source_config,
                                             const MigrationConfig& shared) {
  const auto& config = static_cast<const ElasticsearchConfig&>(source_config);
  EsClientOptions es_options;
  es_options.retry_budget_ms = shared.retry_budget_s * 1000;
  ASSIGN_OR_RETURN(std::unique_ptr<EsClient> client,
                   EsClient::Connect(config.connection, es_options));
  std::shared_ptr<EsClient> client_shared(std::move(client));
  ASSIGN_OR_RETURN(auto source, EsSource::Open(client_shared, config));
  OpenedSource opened;
  opened.id = StrCat("elasticsearch:", client_shared->base_url(), "/", config.index, " (",
                     source->document_count(), " documents)");
  opened.source = std::move(source);
  return opened;
}

}  // namespace mm
