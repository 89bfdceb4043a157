#include "sources/milvus1x/milvus1x_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "milvus/name_rules.h"
#include "sources/milvus1x/milvus1x_metric.h"
#include "sources/concat_batch_reader.h"
#include "sources/milvus1x/segment_reader.h"

namespace mm {

struct Milvus1xSource::Collection {
  CollectionPlan plan;
};

struct Milvus1xSource::TaskInfo {
  std::vector<SegmentSpec> segments;
  SchemaPtr schema;
  std::string partition;
};

namespace {

// "a, b, c and 12 more": long lists of segments stay readable in one message.
std::string JoinSome(const std::vector<std::string>& names, size_t limit = 20) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > limit) out += StrCat(" and ", names.size() - limit, " more");
  return out;
}

// The 2.x name for a 1.x name: the config's map first, then the documented rule. `subject`
// says whose name it is ("partition tag 'x' of 1.x collection 'c'"), `kind` what 2.x calls
// it ("partition name").
Result<std::string> MapName(const std::string& name,
                            const std::map<std::string, std::string>& name_map,
                            const std::string& subject, const std::string& kind,
                            const std::string& map_key) {
  auto it = name_map.find(name);
  if (it != name_map.end()) {
    Status valid = ValidateMilvus2xName(it->second, kind);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(StrCat("[", map_key, "] maps '", name, "' to a name ",
                                               "Milvus 2.x refuses: ", valid.message()));
    }
    return it->second;
  }
  if (ValidateMilvus2xName(name, kind).ok()) return name;
  std::string mapped = ToMilvus2xName(name);
  spdlog::warn("milvus1x: {} is not a valid Milvus 2.x {}; it becomes '{}' (set [{}] to "
               "choose another)", subject, kind, mapped, map_key);
  return mapped;
}

}  // namespace

Milvus1xSource::Milvus1xSource(std::shared_ptr<Storage> tables, Milvus1xSourceOptions options)
    : tables_(std::move(tables)), options_(std::move(options)) {}

Milvus1xSource::~Milvus1xSource() = default;

Result<std::unique_ptr<Milvus1xSource>> Milvus1xSource::Open(Milvus1xMeta meta,
                                                             std::shared_ptr<Storage> tables,
                                                             Milvus1xSourceOptions options) {
  std::unique_ptr<Milvus1xSource> source(new Milvus1xSource(tables, options));

  std::map<std::string, std::vector<const Milvus1xTable*>> partitions_of;
  std::vector<const Milvus1xTable*> collections;
  for (const auto& t : meta.tables) {
    if (t.owner_table.empty()) {
      collections.push_back(&t);
    } else {
      partitions_of[t.owner_table].push_back(&t);
    }
  }
  if (!options.collections.empty()) {
    std::vector<const Milvus1xTable*> selected;
    std::vector<std::string> unknown;
    for (const auto& name : options.collections) {
      auto it = std::find_if(collections.begin(), collections.end(),
                             [&](const Milvus1xTable* t) { return t->table_id == name; });
      if (it == collections.end()) {
        unknown.push_back(name);
      } else if (std::find(selected.begin(), selected.end(), *it) == selected.end()) {
        selected.push_back(*it);
      }
    }
    if (!unknown.empty()) {
      std::vector<std::string> known;
      for (const auto* t : collections) known.push_back(t->table_id);
      return absl::NotFoundError(StrCat("no live Milvus 1.x collection named ", JoinSome(unknown),
                                        "; the meta holds ", JoinSome(known)));
    }
    collections = std::move(selected);
  }

  std::map<std::string, std::string> target_names;  // 2.x name -> 1.x name
  std::vector<std::string> index_only;
  std::vector<const Milvus1xTable*> all_tables;  // collections and their partitions
  for (const Milvus1xTable* c : collections) {
    ASSIGN_OR_RETURN(std::string name,
                     MapName(c->table_id, options.collection_name_map,
                             StrCat("1.x collection '", c->table_id, "'"), "collection name",
                             "target.create.collection.nameMap"));
    auto [clash, fresh] = target_names.emplace(name, c->table_id);
    if (!fresh) {
      return absl::InvalidArgumentError(StrCat(
          "1.x collections '", clash->second, "' and '", c->table_id, "' would both become 2.x ",
          "collection '", name, "'; give one another name in target.create.collection.nameMap"));
    }
    ASSIGN_OR_RETURN(Milvus1xMetric metric, MapMilvus1xMetric(c->metric_type, c->table_id));
    if (metric.milvus1x_name != metric.milvus2x_name) {
      spdlog::warn("milvus1x: collection '{}' uses {}, which Milvus 2.x indexes do not offer; "
                   "its index will use {} (README, \"Milvus 1.x\")",
                   c->table_id, metric.milvus1x_name, metric.milvus2x_name);
    }

    std::shared_ptr<Schema> schema = MakeSegmentSchema(name, c->dimension, metric.binary,
                                                       options.id_field, options.vector_field);
    schema->description = StrCat("migrated from Milvus 1.x collection ", c->table_id);
    Status valid = schema->Validate();
    if (!valid.ok()) {
      return absl::DataLossError(StrCat("1.x collection '", c->table_id, "' (dimension ",
                                        c->dimension, ", ", metric.milvus1x_name,
                                        "): ", valid.message()));
    }

    auto collection = std::make_unique<Collection>();
    CollectionPlan& plan = collection->plan;
    plan.schema = schema;
    plan.metric_type = metric.milvus2x_name;
    plan.shards_num = options.shards_num;
    plan.total_rows = 0;
    plan.name_origin = options.collection_name_map.count(c->table_id)
                           ? "[target.create.collection.nameMap]"
                           : StrCat("1.x collection '", c->table_id, "'");

    // The collection's own rows go to the default partition; each 1.x partition to one of
    // its own, named by its tag.
    std::vector<std::pair<const Milvus1xTable*, std::string>> parts{{c, ""}};
    std::map<std::string, std::string> partition_names;  // 2.x name -> tag
    for (const Milvus1xTable* p : partitions_of[c->table_id]) {
      if (p->dimension != c->dimension || p->metric_type != c->metric_type) {
        return absl::DataLossError(StrCat(
            "1.x partition '", p->partition_tag, "' (table ", p->table_id, ") of collection '",
            c->table_id, "' has dimension ", p->dimension, " and metric ", p->metric_type,
            ", but its collection has ", c->dimension, " and ", c->metric_type));
      }
      ASSIGN_OR_RETURN(std::string pname,
                       MapName(p->partition_tag, options.partition_name_map,
                               StrCat("partition tag '", p->partition_tag, "' of 1.x collection '",
                                      c->table_id, "'"),
                               "partition name", "target.create.partition.nameMap"));
      if (pname == "_default") {
        return absl::InvalidArgumentError(StrCat(
            "partition tag '", p->partition_tag, "' of 1.x collection '", c->table_id,
            "' would become 2.x's _default partition and mix with the collection's own rows; "
            "map it to another name in target.create.partition.nameMap"));
      }
      auto [pclash, pfresh] = partition_names.emplace(pname, p->partition_tag);
      if (!pfresh) {
        return absl::InvalidArgumentError(StrCat(
            "partition tags '", pclash->second, "' and '", p->partition_tag, "' of 1.x ",
            "collection '", c->table_id, "' would both become 2.x partition '", pname,
            "'; give one another name in target.create.partition.nameMap"));
      }
      plan.partitions.push_back(pname);
      parts.emplace_back(p, pname);
    }

    const int64_t row_bytes = schema->fields[1].FixedWidth() + 8;
    for (const auto& [table, partition] : parts) {
      all_tables.push_back(table);
      for (const auto& seg : table->index_only_segments) {
        index_only.push_back(StrCat(table->table_id, "/", seg));
      }
      if (table->skipped_files > 0) {
        spdlog::info("milvus1x: table '{}': {} file(s) skipped for their state (new, being "
                     "merged or indexed, or to delete)",
                     table->table_id, table->skipped_files);
      }
      // Group consecutive segments up to task_bytes; a segment bigger than that is a task
      // of its own.
      std::vector<const Milvus1xSegment*> group;
      int64_t group_rows = 0;
      auto flush = [&] {
        if (group.empty()) return;
        std::string id = StrCat(table->table_id, "/", group.front()->segment_id);
        if (group.size() > 1) id += StrCat("+", group.size() - 1);
        TaskInfo info{.schema = schema, .partition = partition};
        for (const Milvus1xSegment* seg : group) {
          info.segments.push_back(SegmentSpec{.table_id = table->table_id,
                                              .segment_id = seg->segment_id,
                                              .live_rows = seg->rows,
                                              .dim = c->dimension,
                                              .binary = metric.binary});
        }
        plan.tasks.push_back(SourceTask{.id = id,
                                        .collection = name,
                                        .partition = partition,
                                        .rows = group_rows,
                                        .bytes = group_rows * row_bytes});
        plan.total_rows += group_rows;
        source->tasks_.emplace(std::move(id), std::move(info));
        group.clear();
        group_rows = 0;
      };
      for (const Milvus1xSegment& seg : table->segments) {
        if (!group.empty() && options.task_bytes > 0 &&
            (group_rows + seg.rows) * row_bytes > options.task_bytes) {
          flush();
        }
        group.push_back(&seg);
        group_rows += seg.rows;
      }
      flush();
    }
    source->collections_.push_back(std::move(collection));
  }

  // Every segment's raw files must be there before hours of dumping start; one listing per
  // table keeps this cheap on a bucket.
  std::vector<std::string> missing;
  for (const Milvus1xTable* table : all_tables) {
    ASSIGN_OR_RETURN(std::vector<FileInfo> files, tables->List(table->table_id));
    std::set<std::string> paths;
    for (const auto& f : files) paths.insert(f.path);
    for (const Milvus1xSegment& seg : table->segments) {
      const std::string dir = StrCat(table->table_id, "/", seg.segment_id);
      const std::string stem = StrCat(dir, "/", seg.segment_id);
      if (paths.count(stem + ".rv") && paths.count(stem + ".uid")) continue;
      auto first = paths.lower_bound(dir + "/");
      if (first == paths.end() || first->rfind(dir + "/", 0) != 0) {
        missing.push_back(dir);
      } else if (!paths.count(stem + ".rv")) {
        index_only.push_back(dir);
      }  // else: .uid alone is missing; the segment reader names it.
    }
  }
  if (!missing.empty()) {
    return absl::NotFoundError(StrCat(missing.size(), " live segment director",
                                      missing.size() == 1 ? "y is" : "ies are", " missing in ",
                                      tables->Describe(), ": ", JoinSome(missing),
                                      " (is source.*.tablesDir the 1.x db/tables directory, "
                                      "and the meta from the same instance?)"));
  }
  if (!index_only.empty()) {
    std::sort(index_only.begin(), index_only.end());
    return absl::FailedPreconditionError(StrCat(
        index_only.size(), " segment(s) hold only an index file and no raw vectors, so their "
        "rows cannot be migrated exactly: ", JoinSome(index_only),
        ". Their vectors exist only inside the 1.x index; leave those collections out with "
        "--col to migrate the others"));
  }
  return source;
}

Result<std::vector<CollectionPlan>> Milvus1xSource::Plan() {
  std::vector<CollectionPlan> plans;
  plans.reserve(collections_.size());
  for (const auto& c : collections_) plans.push_back(c->plan);
  return plans;
}

Result<std::unique_ptr<BatchReader>> Milvus1xSource::OpenTask(const SourceTask& task) {
  auto it = tasks_.find(task.id);
  if (it == tasks_.end()) {
    return absl::NotFoundError(StrCat("milvus1x: no segment '", task.id, "' in the meta"));
  }
  const TaskInfo& info = it->second;
  SegmentReaderOptions options{.batch_bytes = options_.batch_bytes,
                               .read_buffer_bytes = options_.read_buffer_bytes};
  std::vector<ConcatBatchReader::Opener> openers;
  for (const SegmentSpec& spec : info.segments) {
    openers.push_back([tables = tables_, schema = info.schema, partition = info.partition, spec,
                       options]() -> Result<std::unique_ptr<BatchReader>> {
      ASSIGN_OR_RETURN(auto reader,
                       SegmentReader::Open(tables, spec, schema, partition, options));
      return std::unique_ptr<BatchReader>(std::move(reader));
    });
  }
  return std::unique_ptr<BatchReader>(
      std::make_unique<ConcatBatchReader>(info.schema, std::move(openers)));
}

}  // namespace mm
