#include "pipeline/collection_fit.h"

#include <absl/strings/match.h>
#include <absl/strings/str_join.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "core/redact.h"

namespace mm {
namespace {

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  char buf[32] = {};
  if (gmtime_r(&now, &tm) == nullptr ||
      std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return "";
  }
  return buf;
}

std::string Describe(const FieldSchema& f) {
  std::string d(DataTypeName(f.type));
  if (IsVectorType(f.type) && f.type != DataType::kSparseFloatVector) {
    d = StrCat(d, "(dim ", f.dim, ")");
  } else if (f.type == DataType::kVarChar) {
    d = StrCat(d, "(max_length ", f.max_length, ")");
  } else if (f.type == DataType::kArray) {
    d = StrCat(d, " of ", DataTypeName(f.element_type));
  }
  if (f.primary_key) d = StrCat(d, " primary key", f.auto_id ? " (autoID on)" : "");
  return d;
}

const FieldSchema* Find(const Schema& schema, const std::string& name) {
  int i = schema.FieldIndex(name);
  return i < 0 ? nullptr : &schema.fields[static_cast<size_t>(i)];
}

std::string Diff(const std::string& field, const std::string& what, const std::string& has,
                 const std::string& source) {
  return StrCat("field '", field, "': ", what, ": the collection has ", has,
                ", the source has ", source);
}

}  // namespace

std::string PlanId(const std::string& source_id, const std::string& collection) {
  // FNV-1a, 64 bits: stable across builds and machines, unlike std::hash.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    h *= 0x100000001b3ULL;
  };
  // The checkpoint stores the source id redacted; hash that form, so the id computed from a
  // live source (start's check) and from the checkpoint (load) agree.
  mix(RedactText(source_id));
  mix(collection);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, h);
  return buf;
}

std::string PlanPropertyKey(const std::string& plan_id) {
  return StrCat("milvus_migration.plan.", plan_id);
}

std::map<std::string, std::string> PlanProperties(const std::string& plan_id, bool appended) {
  std::map<std::string, std::string> p;
  p[PlanPropertyKey(plan_id)] = StrCat(appended ? "appended" : "created", " ", NowUtc());
  if (!appended) p[kCreatedByProperty] = plan_id;
  return p;
}

std::vector<std::string> SchemaDifferences(const Schema& existing, const Schema& plan) {
  std::vector<std::string> out;
  for (const FieldSchema& pf : plan.fields) {
    if (pf.name == kDynamicFieldName) continue;
    const FieldSchema* ef = Find(existing, pf.name);
    if (ef == nullptr) {
      out.push_back(StrCat("field '", pf.name, "': the collection has no such field, the source "
                           "has ", Describe(pf)));
      continue;
    }
    if (ef->type != pf.type) {
      out.push_back(Diff(pf.name, "type", Describe(*ef), Describe(pf)));
      continue;
    }
    if (ef->primary_key != pf.primary_key) {
      out.push_back(Diff(pf.name, "primary key",
                         ef->primary_key ? "it as the primary key" : "it as an ordinary field",
                         pf.primary_key ? "it as the primary key" : "it as an ordinary field"));
    } else if (pf.primary_key && ef->auto_id != pf.auto_id) {
      out.push_back(ef->auto_id
                        ? Diff(pf.name, "autoID",
                               "autoID on (Milvus makes the values and refuses given ones)",
                               "its own values")
                        : Diff(pf.name, "autoID", "autoID off (the values must be given)",
                               "none (autoID on)"));
    }
    if (IsVectorType(pf.type) && pf.type != DataType::kSparseFloatVector && ef->dim != pf.dim) {
      out.push_back(Diff(pf.name, "dim", StrCat(ef->dim), StrCat(pf.dim)));
    }
    const bool varchar = pf.type == DataType::kVarChar ||
                         (pf.type == DataType::kArray && pf.element_type == DataType::kVarChar);
    if (pf.type == DataType::kArray && ef->element_type != pf.element_type) {
      out.push_back(Diff(pf.name, "element type", std::string(DataTypeName(ef->element_type)),
                         std::string(DataTypeName(pf.element_type))));
    } else if (varchar && ef->max_length < pf.max_length) {
      out.push_back(Diff(pf.name, "max_length", StrCat(ef->max_length),
                         StrCat(pf.max_length, " (longer values would be refused)")));
    }
    if (pf.type == DataType::kArray && ef->max_capacity > 0 && pf.max_capacity > 0 &&
        ef->max_capacity < pf.max_capacity) {
      out.push_back(Diff(pf.name, "max_capacity", StrCat(ef->max_capacity),
                         StrCat(pf.max_capacity)));
    }
    if (pf.nullable && !ef->nullable) {
      out.push_back(Diff(pf.name, "nullable", "not nullable", "null values"));
    }
  }
  for (const FieldSchema& ef : existing.fields) {
    if (Find(plan, ef.name) != nullptr) continue;
    if ((ef.primary_key && ef.auto_id) || ef.nullable) continue;  // filled without the source
    out.push_back(StrCat("field '", ef.name, "': the collection has ", Describe(ef),
                         ", the source has no such field"));
  }
  const bool plan_dynamic =
      plan.enable_dynamic_field || Find(plan, kDynamicFieldName) != nullptr;
  if (plan_dynamic && !existing.enable_dynamic_field) {
    out.push_back("dynamic field: the collection has it off, the source has keys outside the "
                  "schema ($meta)");
  }
  return out;
}

Status CheckExistingCollection(MilvusClient& milvus, const Schema& plan,
                               const std::string& plan_id, IfCollectionExists if_exists,
                               const std::string& checkpoint) {
  if (if_exists == IfCollectionExists::kRecreate) return absl::OkStatus();
  const std::string& name = plan.collection;
  ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(name));
  if (!exists) return absl::OkStatus();
  ASSIGN_OR_RETURN(CollectionInfo info, milvus.DescribeCollection(name));
  ASSIGN_OR_RETURN(int64_t rows, milvus.CountRows(name));
  const std::string where =
      StrCat("collection '", name, "' in Milvus at ", milvus.endpoint());
  const bool append = if_exists == IfCollectionExists::kAppend;

  const std::string plan_key = PlanPropertyKey(plan_id);
  if (auto it = info.properties.find(plan_key); it != info.properties.end()) {
    const bool created_here = info.properties.count(kCreatedByProperty) > 0 &&
                              info.properties.at(kCreatedByProperty) == plan_id;
    const std::string advice =
        created_here
            ? StrCat("drop the collection (or set target.create.collection.ifExists to "
                     "recreate) and run again")
            : StrCat("rerun with the output that run wrote (its manifest.json records what was "
                     "imported), or delete those rows and the collection property '",
                     plan_key, "' first");
    const std::string msg = StrCat(
        where, " already holds rows of this migration (", it->second, " by an earlier run; ",
        rows, " rows now), which the checkpoint in ", checkpoint,
        " does not account for; ", append ? "appending" : "loading",
        " again would import them twice. To start over, ", advice);
    return append ? absl::FailedPreconditionError(msg) : absl::AlreadyExistsError(msg);
  }
  if (!append) {
    return absl::AlreadyExistsError(StrCat(
        "collection '", name, "' already exists in Milvus at ", milvus.endpoint(),
        " and holds ", rows, " rows; set target.create.collection."
        "ifExists to append (adds the source's rows to those) or recreate (drops it first)"));
  }
  std::vector<std::string> diffs = SchemaDifferences(info.schema, plan);
  if (!diffs.empty()) {
    std::string all;
    for (const auto& d : diffs) all = all.empty() ? d : StrCat(all, "; ", d);
    return absl::FailedPreconditionError(StrCat(
        where, " does not fit the source (target.create.collection.ifExists: append): ", all,
        ". Nothing was written; use another collection name, or ifExists: recreate"));
  }
  return absl::OkStatus();
}

Result<bool> IsOwnUntouchedCollection(MilvusClient& milvus, const std::string& name,
                                      const std::string& plan_id) {
  ASSIGN_OR_RETURN(CollectionInfo info, milvus.DescribeCollection(name));
  auto it = info.properties.find(kCreatedByProperty);
  if (it == info.properties.end() || it->second != plan_id) return false;
  ASSIGN_OR_RETURN(int64_t rows, milvus.CountRows(name));
  if (rows != 0) return false;
  ASSIGN_OR_RETURN(std::vector<ImportProgress> tasks, milvus.ListImportTasks(name));
  return tasks.empty();
}

Status CheckTargetCollection(MilvusClient& milvus, const Schema& plan,
                             const std::string& plan_id, IfCollectionExists if_exists,
                             const std::string& checkpoint) {
  if (if_exists == IfCollectionExists::kRecreate) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(plan.collection));
  if (!exists) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool own, IsOwnUntouchedCollection(milvus, plan.collection, plan_id));
  if (own) return absl::OkStatus();
  return CheckExistingCollection(milvus, plan, plan_id, if_exists, checkpoint);
}

// --- Milvus 2.x source (issue 12) ---

Status CheckCreatedAsPlanned(MilvusClient& milvus, const Schema& plan, int32_t shards_num,
                             const std::string& consistency_level,
                             const std::vector<std::string>& partitions) {
  const std::string& name = plan.collection;
  ASSIGN_OR_RETURN(CollectionInfo info, milvus.DescribeCollection(name));
  ASSIGN_OR_RETURN(CollectionLayout layout, milvus.DescribeCollectionLayout(name));
  const Schema& got = info.schema;
  std::vector<std::string> diffs;
  std::vector<const FieldSchema*> planned;
  for (const auto& f : plan.fields) {
    if (f.name != kDynamicFieldName) planned.push_back(&f);
  }
  if (planned.size() != got.fields.size()) {
    diffs.push_back(StrCat("fields: the collection has ", got.fields.size(), ", the plan ",
                           planned.size()));
  }
  for (size_t i = 0; i < std::min(planned.size(), got.fields.size()); ++i) {
    const FieldSchema& p = *planned[i];
    const FieldSchema& g = got.fields[i];
    auto differs = [&](const char* what, const std::string& has, const std::string& wants) {
      if (has != wants) diffs.push_back(Diff(p.name, what, has, wants));
    };
    if (g.name != p.name) {
      diffs.push_back(StrCat("field ", i, ": the collection has '", g.name, "', the plan '",
                             p.name, "'"));
      continue;
    }
    differs("type", std::string(DataTypeName(g.type)), std::string(DataTypeName(p.type)));
    differs("primary key", StrCat(g.primary_key), StrCat(p.primary_key));
    if (p.primary_key) differs("autoID", StrCat(g.auto_id), StrCat(p.auto_id));
    differs("partition key", StrCat(g.partition_key), StrCat(p.partition_key));
    if (IsVectorType(p.type)) differs("dim", StrCat(g.dim), StrCat(p.dim));
    if (p.max_length > 0) differs("max_length", StrCat(g.max_length), StrCat(p.max_length));
    if (p.type == DataType::kArray) {
      differs("element type", std::string(DataTypeName(g.element_type)),
              std::string(DataTypeName(p.element_type)));
      if (p.max_capacity > 0) {
        differs("max_capacity", StrCat(g.max_capacity), StrCat(p.max_capacity));
      }
    }
  }
  if (got.description != plan.description) {
    diffs.push_back(StrCat("description: the collection has '", got.description,
                           "', the plan '", plan.description, "'"));
  }
  if (plan.enable_dynamic_field && !got.enable_dynamic_field) {
    diffs.push_back("dynamic field: the collection has it off, the plan on");
  }
  if (shards_num > 0 && layout.shards_num != shards_num) {
    diffs.push_back(StrCat("shards: the collection has ", layout.shards_num, ", the plan ",
                           shards_num));
  }
  if (!consistency_level.empty() &&
      !absl::EqualsIgnoreCase(layout.consistency_level, consistency_level)) {
    diffs.push_back(StrCat("consistency level: the collection has ", layout.consistency_level,
                           ", the plan ", consistency_level));
  }
  if (plan.num_partitions > 0 && layout.num_partitions != plan.num_partitions) {
    diffs.push_back(StrCat("partition-key partitions: the collection has ",
                           layout.num_partitions, ", the plan ", plan.num_partitions));
  }
  if (!partitions.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::string> has, milvus.ListPartitions(name));
    for (const auto& p : partitions) {
      if (std::find(has.begin(), has.end(), p) == has.end()) {
        diffs.push_back(StrCat("partition '", p, "': missing from the collection"));
      }
    }
  }
  if (diffs.empty()) return absl::OkStatus();
  return absl::DataLossError(StrCat("collection '", name, "' on the target is not what the "
                                    "copy planned: ", absl::StrJoin(diffs, "; ")));
}

}  // namespace mm
