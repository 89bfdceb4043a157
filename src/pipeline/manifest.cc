#include "pipeline/manifest.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/redact.h"

namespace mm {
namespace {

using nlohmann::json;

json FieldToJson(const FieldSchema& f) {
  return json{{"name", f.name},
              {"type", static_cast<int32_t>(f.type)},
              {"primary_key", f.primary_key},
              {"auto_id", f.auto_id},
              {"partition_key", f.partition_key},
              {"nullable", f.nullable},
              {"dim", f.dim},
              {"max_length", f.max_length},
              {"element_type", static_cast<int32_t>(f.element_type)},
              {"max_capacity", f.max_capacity}};
}

json IndexesToJson(const std::vector<IndexSpec>& indexes) {
  json out = json::array();
  for (const auto& i : indexes) {
    out.push_back(json{{"field", i.field},
                       {"index_type", i.index_type},
                       {"metric_type", i.metric_type},
                       {"params", i.params}});
  }
  return out;
}

std::vector<IndexSpec> IndexesFromJson(const json& j) {
  std::vector<IndexSpec> out;
  for (const auto& ji : j) {
    IndexSpec i;
    i.field = ji.at("field").get<std::string>();
    i.index_type = ji.value("index_type", "");
    i.metric_type = ji.value("metric_type", "");
    i.params = ji.value("params", std::map<std::string, std::string>{});
    out.push_back(std::move(i));
  }
  return out;
}

FieldSchema FieldFromJson(const json& j) {
  FieldSchema f;
  f.name = j.at("name").get<std::string>();
  f.type = static_cast<DataType>(j.at("type").get<int32_t>());
  f.primary_key = j.value("primary_key", false);
  f.auto_id = j.value("auto_id", false);
  f.partition_key = j.value("partition_key", false);
  f.nullable = j.value("nullable", false);
  f.dim = j.value("dim", int64_t{0});
  f.max_length = j.value("max_length", int64_t{0});
  f.element_type = static_cast<DataType>(j.value("element_type", 0));
  f.max_capacity = j.value("max_capacity", int64_t{0});
  return f;
}

json PartToJson(const PartInfo& p) {
  json j{{"dir", p.dir}, {"files", p.files}, {"partition", p.partition},
         {"rows", p.rows}, {"bytes", p.bytes}};
  if (!p.file_bytes.empty()) j["file_bytes"] = p.file_bytes;
  return j;
}

PartInfo PartFromJson(const json& j) {
  PartInfo p;
  p.dir = j.at("dir").get<std::string>();
  p.files = j.at("files").get<std::vector<std::string>>();
  p.partition = j.value("partition", "");
  p.rows = j.at("rows").get<int64_t>();
  p.bytes = j.value("bytes", uint64_t{0});
  p.file_bytes = j.value("file_bytes", std::vector<uint64_t>{});
  if (!p.file_bytes.empty() && p.file_bytes.size() != p.files.size()) {
    throw std::invalid_argument(StrCat("part ", p.dir, " lists ", p.files.size(),
                                       " files but ", p.file_bytes.size(), " file sizes"));
  }
  return p;
}

json SkippedToJson(const SkippedRows& s) {
  json examples = json::array();
  for (const auto& e : s.examples()) {
    examples.push_back(json{{"row", e.row}, {"reason", e.reason}});
  }
  return examples;
}

SkippedRows SkippedFromJson(const json& j, const char* count_key) {
  SkippedRows s;
  std::vector<SkippedRow> examples;
  for (const auto& e : j.value("skipped_examples", json::array())) {
    examples.push_back({e.at("row").get<std::string>(), e.at("reason").get<std::string>()});
  }
  s.Set(j.value(count_key, int64_t{0}), std::move(examples));
  return s;
}

}  // namespace

std::string ManifestToJson(const Manifest& m) {
  json collections = json::array();
  for (const auto& c : m.collections) {
    json fields = json::array();
    for (const auto& f : c.schema.fields) fields.push_back(FieldToJson(f));
    json tasks = json::object();
    for (const auto& [id, t] : c.tasks) {
      json parts = json::array();
      for (const auto& p : t.parts) parts.push_back(PartToJson(p));
      tasks[id] = json{{"done", t.done}, {"rows", t.rows}, {"parts", parts}};
      if (!t.position.empty()) tasks[id]["position"] = t.position;
      if (t.rows_in_doubt > 0) tasks[id]["rows_in_doubt"] = t.rows_in_doubt;
      if (t.skipped.count() > 0) {
        tasks[id]["skipped"] = t.skipped.count();
        tasks[id]["skipped_examples"] = SkippedToJson(t.skipped);
      }
    }
    json imports = json::object();
    for (const auto& [dir, r] : c.load.imports) {
      imports[dir] = json{{"task_ids", r.task_ids}, {"completed", r.completed}, {"rows", r.rows}};
      if (r.intent_unix_s != 0) {
        imports[dir]["intent"] = json{{"token", r.intent_token}, {"unix_s", r.intent_unix_s}};
      }
    }
    collections.push_back(json{
        {"name", c.schema.collection},
        {"description", c.schema.description},
        {"enable_dynamic_field", c.schema.enable_dynamic_field},
        {"fields", fields},
        {"metric_type", c.metric_type},
        {"shards_num", c.shards_num},
        {"consistency_level", c.consistency_level},
        {"partitions", c.partitions},
        {"num_partitions", c.schema.num_partitions},
        {"indexes", IndexesToJson(c.indexes)},
        {"total_rows", c.total_rows},
        {"skipped_rows", c.skipped.count()},
        {"skipped_examples", SkippedToJson(c.skipped)},
        {"tasks", tasks},
        // Identities are redacted where they are made; this keeps any slip out of the file.
        {"load", json{{"target", RedactText(c.load.target)},
                      {"prepared", c.load.prepared},
                      {"created", c.load.created},
                      {"rows_before", c.load.rows_before},
                      {"verified", c.load.verified},
                      {"resend_as_upsert", c.load.resend_as_upsert},
                      {"rows_replaced", c.load.rows_replaced},
                      {"imports", imports}}},
    });
  }
  json doc{{"format", "milvus-migration-manifest"},
           {"version", 1},
           {"source", m.source},
           {"source_id", RedactText(m.source_id)},
           {"dump_complete", m.dump_complete},
           {"collections", collections}};
  return doc.dump(1);
}

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& name) {
  try {
    json doc = json::parse(text);
    if (doc.value("format", "") != "milvus-migration-manifest") {
      return absl::DataLossError(StrCat(name, ": not a milvus-migration manifest"));
    }
    if (doc.value("version", 0) != 1) {
      return absl::DataLossError(StrCat(name, ": manifest version ", doc.value("version", 0),
                                        " is not supported (expected 1)"));
    }
    Manifest m;
    m.source = doc.at("source").get<std::string>();
    // Checkpoints of older versions may hold credentials in these identities: they are
    // read redacted (and so compare equal to the redacted identities made now).
    m.source_id = RedactText(doc.at("source_id").get<std::string>());
    m.dump_complete = doc.at("dump_complete").get<bool>();
    for (const auto& jc : doc.at("collections")) {
      CollectionManifest c;
      c.schema.collection = jc.at("name").get<std::string>();
      c.schema.description = jc.value("description", "");
      c.schema.enable_dynamic_field = jc.value("enable_dynamic_field", false);
      for (const auto& jf : jc.at("fields")) c.schema.fields.push_back(FieldFromJson(jf));
      c.metric_type = jc.value("metric_type", "");
      c.shards_num = jc.value("shards_num", 0);
      c.consistency_level = jc.value("consistency_level", "");
      c.partitions = jc.value("partitions", std::vector<std::string>{});
      c.schema.num_partitions = jc.value("num_partitions", int64_t{0});
      if (jc.contains("indexes")) c.indexes = IndexesFromJson(jc.at("indexes"));
      c.total_rows = jc.at("total_rows").get<int64_t>();
      c.skipped = SkippedFromJson(jc, "skipped_rows");
      for (const auto& [id, jt] : jc.at("tasks").items()) {
        TaskRecord t;
        t.done = jt.at("done").get<bool>();
        t.rows = jt.value("rows", int64_t{0});
        for (const auto& jp : jt.at("parts")) t.parts.push_back(PartFromJson(jp));
        t.position = jt.value("position", "");
        t.rows_in_doubt = jt.value("rows_in_doubt", int64_t{0});
        t.skipped = SkippedFromJson(jt, "skipped");
        c.tasks[id] = std::move(t);
      }
      const json& jl = jc.at("load");
      c.load.target = RedactText(jl.value("target", ""));
      c.load.prepared = jl.value("prepared", false);
      c.load.created = jl.value("created", false);
      c.load.rows_before = jl.value("rows_before", int64_t{0});
      c.load.verified = jl.value("verified", false);
      c.load.resend_as_upsert = jl.value("resend_as_upsert", false);
      c.load.rows_replaced = jl.value("rows_replaced", false);
      for (const auto& [dir, ji] : jl.at("imports").items()) {
        ImportRecord r;
        r.task_ids = ji.at("task_ids").get<std::vector<int64_t>>();
        r.completed = ji.at("completed").get<bool>();
        r.rows = ji.value("rows", int64_t{0});
        if (ji.contains("intent")) {
          r.intent_token = ji.at("intent").value("token", "");
          r.intent_unix_s = ji.at("intent").value("unix_s", int64_t{0});
        }
        c.load.imports[dir] = std::move(r);
      }
      m.collections.push_back(std::move(c));
    }
    return m;
  } catch (const json::exception& e) {
    return absl::DataLossError(StrCat(name, ": malformed manifest: ", e.what()));
  } catch (const std::invalid_argument& e) {  // from PartFromJson
    return absl::DataLossError(StrCat(name, ": malformed manifest: ", e.what()));
  }
}

Result<std::optional<Manifest>> ManifestStore::Load() {
  ASSIGN_OR_RETURN(bool exists, storage_->Exists(kFileName));
  if (!exists) return std::optional<Manifest>();
  ASSIGN_OR_RETURN(auto file, storage_->OpenRead(kFileName));
  ASSIGN_OR_RETURN(std::string text, ReadWholeFile(*file));
  ASSIGN_OR_RETURN(Manifest m, ManifestFromJson(text, file->name()));
  std::lock_guard lock(mu_);
  manifest_ = m;
  return std::optional<Manifest>(std::move(m));
}

Status ManifestStore::Reset(Manifest manifest) {
  std::lock_guard lock(mu_);
  manifest_ = std::move(manifest);
  return PersistLocked();
}

Status ManifestStore::PersistLocked() {
  ASSIGN_OR_RETURN(auto file, storage_->OpenWrite(kFileName));
  Status st = file->Append(ManifestToJson(manifest_));
  if (st.ok()) st = file->Close();
  if (!st.ok()) {
    file->Abort().IgnoreError();
    return Annotate(st, StrCat("writing the checkpoint ", storage_->Describe(), "/", kFileName));
  }
  return absl::OkStatus();
}

}  // namespace mm
