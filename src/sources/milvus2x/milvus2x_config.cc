#include "sources/milvus2x/milvus2x_config.h"

#include <set>

#include "config/config_limits.h"
#include "sources/meta_milvus_keys.h"
#include "sources/milvus2x/milvus2x_source.h"

namespace mm {

Status ReadMilvus2xConfig(const ConfigReader& r, Milvus2xConfig* out) {
  std::string mode = "config";
  RETURN_IF_ERROR(r.Get("meta.mode", &mode));
  if (mode != "config") {
    return r.Invalid("meta.mode", StrCat("expected config for a Milvus 2.x source, got '", mode,
                                         "'"));
  }
  std::string collection;
  RETURN_IF_ERROR(r.Get("meta.collection", &collection));
  RETURN_IF_ERROR(r.Get("meta.collections", &out->collections));
  if (!collection.empty() && !out->collections.empty()) {
    return r.Invalid("meta.collections", "and [meta.collection] are both set; set one");
  }
  if (!collection.empty()) out->collections = {collection};
  for (size_t i = 0; i < out->collections.size(); ++i) {
    if (out->collections[i].empty()) {
      return r.Invalid(StrCat("meta.collections[", i, "]"), "is empty");
    }
    if (out->collections[i] == "*" && out->collections.size() > 1) {
      return r.Invalid("meta.collections", "\"*\" means every collection: list no others");
    }
  }
  ASSIGN_OR_RETURN(std::vector<ConfigReader> items, r.Items("meta.fields"));
  std::set<std::string> names;
  for (const ConfigReader& item : items) {
    std::string name;
    RETURN_IF_ERROR(item.Get("name", &name));
    if (name.empty()) return item.Invalid("name", "must name a field of the source collection");
    if (!names.insert(name).second) {
      return item.Invalid("name", StrCat("'", name, "' is listed twice"));
    }
    out->fields.push_back(name);
  }

  RETURN_IF_ERROR(r.Get("meta.milvus.collection", &out->target_collection));
  RETURN_IF_ERROR(r.Get("meta.milvus.closeDynamicField", &out->close_dynamic_field));
  RETURN_IF_ERROR(ReadMetaMilvusLayout(r, &out->shard_num, &out->consistency_level));
  RETURN_IF_ERROR(r.Get("meta.milvus.autoId", &out->auto_id));
  if (out->auto_id != "" && out->auto_id != "true" && out->auto_id != "false") {
    return r.Invalid("meta.milvus.autoId",
                     StrCat("expected \"\" (as the source), \"true\" or \"false\", got '",
                            out->auto_id, "'"));
  }

  std::string database;
  RETURN_IF_ERROR(r.Get("source.milvus2x.endpoint", &out->endpoint));
  RETURN_IF_ERROR(r.Get("source.milvus2x.username", &out->username));
  RETURN_IF_ERROR(r.Get("source.milvus2x.password", &out->password));
  RETURN_IF_ERROR(r.Get("source.milvus2x.database", &database));
  RETURN_IF_ERROR(r.Get("source.milvus2x.databases", &out->databases));
  if (!database.empty() && !out->databases.empty()) {
    return r.Invalid("source.milvus2x.databases",
                     "and [source.milvus2x.database] are both set; set one");
  }
  if (!database.empty()) out->databases = {database};
  if (out->databases.size() > 1 && std::count(out->databases.begin(), out->databases.end(), "*")) {
    return r.Invalid("source.milvus2x.databases", "\"*\" means every database: list no others");
  }
  RETURN_IF_ERROR(r.GetIntInRange("source.milvus2x.grpc.maxCallRecvMsgSize",
                                  &out->max_call_recv_msg_size, 0, int64_t{1} << 31, "bytes"));
  RETURN_IF_ERROR(r.GetIntInRange("source.milvus2x.grpc.maxCallSendMsgSize",
                                  &out->max_call_send_msg_size, 0, int64_t{1} << 31, "bytes"));
  if (out->endpoint.empty()) {
    return r.Invalid("source.milvus2x.endpoint", "must name the source Milvus (host:port)");
  }
  if (out->username.empty() != out->password.empty()) {
    return r.Invalid(out->username.empty() ? "source.milvus2x.username"
                                           : "source.milvus2x.password",
                     "username and password go together");
  }
  if (!out->target_collection.empty() &&
      (out->collections.size() != 1 || out->collections[0] == "*" ||
       out->databases.size() > 1 || (!out->databases.empty() && out->databases[0] == "*"))) {
    return r.Invalid("meta.milvus.collection",
                     "names one target collection, but several source collections are copied");
  }
  return absl::OkStatus();
}

bool RecogniseMilvus2xConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  return r.Has("source.milvus2x");
}

Result<std::shared_ptr<const SourceConfig>> ParseMilvus2xConfig(ConfigReader& r,
                                                                MigrationConfig* /*shared*/) {
  auto config = std::make_shared<Milvus2xConfig>();
  // As the Go tool: reader.bufferSize is rows a read here, not KB. Milvus 2.3 returns at most
  // 16384 rows a query.
  RETURN_IF_ERROR(r.GetIntInRange("dumper.worker.reader.bufferSize", &config->batch_rows, 1,
                                  16384, "rows a read"));
  RETURN_IF_ERROR(ReadMilvus2xConfig(r, config.get()));
  return std::shared_ptr<const SourceConfig>(std::move(config));
}

Result<OpenedSource> OpenMilvus2xSource(const SourceConfig& source_config,
                                        const MigrationConfig& shared) {
  const auto& config = static_cast<const Milvus2xConfig&>(source_config);
  ASSIGN_OR_RETURN(std::unique_ptr<Milvus2xSource> source, Milvus2xSource::Open(config, shared));
  OpenedSource opened;
  opened.id = source->Describe();
  opened.source = std::move(source);
  return opened;
}

}  // namespace mm
