#include "pipeline/load_job.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/cancellation.h"
#include "pipeline/parallel_for.h"
#include "pipeline/part_check.h"

namespace mm {
namespace {

using Clock = std::chrono::steady_clock;

struct PartRef {
  size_t collection;
  PartInfo part;
};

// The checkpoint's load state is for resuming a load into the same Milvus. A load into
// another Milvus, a collection that has vanished since (dropped by hand), or a completed
// load with ifExists: recreate start the load over, ifExists included.
Status ResetStaleLoadState(MilvusClient& milvus, ManifestStore& store, size_t index,
                           const LoadOptions& options) {
  const CollectionManifest cm = store.Snapshot().collections[index];
  const LoadState& state = cm.load;
  const std::string& name = cm.schema.collection;
  std::string why;
  if (state.target != options.target) {
    if (state.prepared) why = StrCat("it was loaded into ", state.target, " before");
  } else if (state.prepared) {
    ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(name));
    if (!exists) {
      why = "the collection it prepared no longer exists";
    } else if (state.verified && options.if_exists == IfCollectionExists::kRecreate) {
      why = "its last load completed and ifExists is recreate";
    }
  }
  // A verified load otherwise stays as it is: a rerun imports nothing and checks the count
  // again, so running the same command twice never duplicates rows.
  if (!why.empty()) spdlog::info("load: starting '{}' over: {}", name, why);
  if (!why.empty() || state.target != options.target) {
    return store.Update([&](Manifest& m) {
      m.collections[index].load = LoadState{};
      m.collections[index].load.target = options.target;
    });
  }
  return absl::OkStatus();
}

// Creates (or reuses, or recreates) the collection and its partitions, once per migration.
Status PrepareCollection(MilvusClient& milvus, ManifestStore& store, size_t index,
                         const LoadOptions& options) {
  CollectionManifest cm = store.Snapshot().collections[index];
  const std::string& name = cm.schema.collection;
  if (!cm.load.prepared) {
    ASSIGN_OR_RETURN(bool exists, milvus.HasCollection(name));
    int64_t rows_before = 0;
    bool create = !exists;
    if (exists) {
      switch (options.if_exists) {
        case IfCollectionExists::kFail:
          return absl::AlreadyExistsError(StrCat(
              "collection '", name, "' already exists in Milvus at ", milvus.endpoint(),
              "; set target.create.collection.ifExists to append or recreate"));
        case IfCollectionExists::kRecreate:
          spdlog::warn("load: dropping the existing collection '{}' (ifExists: recreate)", name);
          RETURN_IF_ERROR(milvus.DropCollection(name));
          create = true;
          break;
        case IfCollectionExists::kAppend: {
          ASSIGN_OR_RETURN(rows_before, milvus.CountRows(name));
          spdlog::info("load: appending to the existing collection '{}' ({} rows)", name,
                       rows_before);
          break;
        }
      }
    }
    if (create) {
      RETURN_IF_ERROR(milvus.CreateCollection(cm.schema, cm.shards_num, cm.consistency_level));
      spdlog::info("load: created collection '{}' ({} shards)", name, cm.shards_num);
    }
    RETURN_IF_ERROR(store.Update([&](Manifest& m) {
      auto& c = m.collections[index];
      c.load.prepared = true;
      c.load.created = create;
      c.load.rows_before = rows_before;
    }));
  }
  for (const auto& partition : cm.partitions) {
    ASSIGN_OR_RETURN(bool has, milvus.HasPartition(name, partition));
    if (!has) RETURN_IF_ERROR(milvus.CreatePartition(name, partition));
  }
  return absl::OkStatus();
}

// Submits (unless already submitted) and waits for one part's import.
Result<int64_t> ImportPart(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                           const PartRef& ref, const LoadOptions& options) {
  std::string collection;
  ImportRecord record;
  store.Read([&](const Manifest& m) {
    const CollectionManifest& cm = m.collections[ref.collection];
    collection = cm.schema.collection;
    auto it = cm.load.imports.find(ref.part.dir);
    if (it != cm.load.imports.end()) record = it->second;
  });
  if (record.task_ids.empty()) {
    std::vector<std::string> files;
    for (const auto& f : ref.part.files) files.push_back(storage.ImportPath(f));
    ASSIGN_OR_RETURN(record.task_ids, milvus.Import(collection, ref.part.partition, files));
    RETURN_IF_ERROR(store.Update([&](Manifest& m) {
      m.collections[ref.collection].load.imports[ref.part.dir] = record;
    }));
  } else {
    spdlog::info("load: part {} was submitted by an earlier run; waiting for it", ref.part.dir);
  }

  const auto deadline = Clock::now() + std::chrono::seconds(options.import_timeout_s);
  int64_t rows = 0;
  for (int64_t task_id : record.task_ids) {
    while (true) {
      ASSIGN_OR_RETURN(ImportProgress p, milvus.GetImportState(task_id));
      if (p.state == ImportState::kCompleted) {
        rows += p.row_count;
        break;
      }
      if (p.state == ImportState::kFailed || p.state == ImportState::kFailedAndCleaned) {
        // A failed task is forgotten so a rerun submits the part again.
        store.Update([&](Manifest& m) {
          m.collections[ref.collection].load.imports.erase(ref.part.dir);
        }).IgnoreError();
        return absl::AbortedError(StrCat("Milvus import of part ", ref.part.dir, " in ",
                                         storage.Describe(), " (task ", task_id,
                                         ") failed: ", p.failed_reason));
      }
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError(StrCat(
            "Milvus import of part ", ref.part.dir, " (task ", task_id, ") did not finish in ",
            options.import_timeout_s, "s (loader.import.timeoutSeconds); rerun load to keep "
            "waiting for it"));
      }
      // Stopping leaves the task id in the checkpoint: a rerun waits for the same import.
      RETURN_IF_ERROR(CheckCancelled(StrCat("load of part ", ref.part.dir)));
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_interval_ms));
    }
  }
  if (rows != ref.part.rows) {
    return absl::DataLossError(StrCat("Milvus imported ", rows, " rows from part ", ref.part.dir,
                                      ", which holds ", ref.part.rows));
  }
  RETURN_IF_ERROR(store.Update([&](Manifest& m) {
    auto& r = m.collections[ref.collection].load.imports[ref.part.dir];
    r.completed = true;
    r.rows = rows;
  }));
  return rows;
}

Status IndexAndLoad(MilvusClient& milvus, const CollectionManifest& cm,
                    const LoadOptions& options) {
  if (options.index_type.empty()) return absl::OkStatus();
  const std::string& name = cm.schema.collection;
  for (const auto& field : cm.schema.fields) {
    if (!IsVectorType(field.type)) continue;
    // One config index serves every collection of a multi-collection source; a binary
    // field cannot take a float index, so it gets the exact binary one instead.
    std::string type = options.index_type;
    std::map<std::string, std::string> params = options.index_params;
    if (field.type == DataType::kBinaryVector && type.rfind("BIN_", 0) != 0) {
      spdlog::info("load: '{}.{}' holds binary vectors, which {} cannot index; using BIN_FLAT",
                   name, field.name, type);
      type = "BIN_FLAT";
      params.clear();
    }
    spdlog::info("load: building a {} index ({}) on '{}.{}'", type, cm.metric_type, name,
                 field.name);
    RETURN_IF_ERROR(milvus.CreateIndex(name, field.name, type, cm.metric_type, params));
  }
  if (options.load_collection) {
    spdlog::info("load: loading collection '{}' for search", name);
    RETURN_IF_ERROR(milvus.LoadCollection(name));
  }
  return absl::OkStatus();
}

}  // namespace

Result<LoadSummary> RunLoad(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                            const LoadOptions& options) {
  ASSIGN_OR_RETURN(std::optional<Manifest> loaded, store.Load());
  if (!loaded) {
    return absl::NotFoundError(StrCat("no dump found in ", storage.Describe(),
                                      " (no manifest.json): run dump first"));
  }
  if (!loaded->dump_complete) {
    return absl::FailedPreconditionError(StrCat("the dump in ", storage.Describe(),
                                                " is incomplete: rerun dump (it resumes)"));
  }
  // The dump's manifest is not trusted unchecked: every part not yet imported must be in
  // storage, whole, and the rows it records must add up.
  ASSIGN_OR_RETURN(std::vector<PartProblem> problems, CheckParts(storage, *loaded));
  std::erase_if(problems, [&](const PartProblem& p) {
    const auto& imports = loaded->collections[p.collection].load.imports;
    auto it = imports.find(p.part_dir);
    return it != imports.end() && it->second.completed;
  });
  if (!problems.empty()) {
    const PartProblem& p = problems.front();
    return absl::DataLossError(StrCat(
        "part ", p.part_dir, " of collection '", loaded->collections[p.collection].schema.collection,
        "' (task ", p.task, ") is damaged: ", p.Describe(storage),
        problems.size() > 1 ? StrCat("; ", problems.size(), " file(s) in all") : "",
        ". Rerun dump (it dumps the damaged tasks again), then load"));
  }
  for (const auto& c : loaded->collections) {
    int64_t rows = 0;
    for (const auto& [id, task] : c.tasks) {
      for (const auto& part : task.parts) rows += part.rows;
    }
    if (rows != c.total_rows) {
      return absl::DataLossError(StrCat(
          storage.Describe(), "/", ManifestStore::kFileName, ": collection '",
          c.schema.collection, "' records ", c.total_rows, " rows but its parts hold ", rows,
          ". Rerun dump"));
    }
  }
  const auto start = Clock::now();
  LoadSummary summary;
  for (size_t c = 0; c < loaded->collections.size(); ++c) {
    const std::string name = loaded->collections[c].schema.collection;
    RETURN_IF_ERROR(ResetStaleLoadState(milvus, store, c, options));
    RETURN_IF_ERROR(PrepareCollection(milvus, store, c, options));
    const CollectionManifest cm = store.Snapshot().collections[c];

    std::vector<PartRef> todo;
    int skipped = 0;
    for (const auto& [task_id, task] : cm.tasks) {
      for (const auto& part : task.parts) {
        auto it = cm.load.imports.find(part.dir);
        if (it != cm.load.imports.end() && it->second.completed) {
          ++skipped;
        } else {
          todo.push_back({c, part});
        }
      }
    }
    summary.parts_skipped += skipped;
    spdlog::info("load: importing {} part(s) into '{}' ({} imported earlier)", todo.size(),
                 name, skipped);

    std::atomic<int64_t> rows{0};
    const Status first_error = ParallelFor(options.workers, todo.size(), [&](size_t i) -> Status {
      ASSIGN_OR_RETURN(int64_t imported, ImportPart(milvus, storage, store, todo[i], options));
      rows += imported;
      spdlog::info("load: part {} imported: {} rows", todo[i].part.dir, imported);
      return absl::OkStatus();
    });
    summary.rows += rows.load();
    summary.parts += static_cast<int>(todo.size());

    if (!first_error.ok()) {
      const LoadState state = store.Snapshot().collections[c].load;
      const bool resumable =
          absl::IsDeadlineExceeded(first_error) || absl::IsCancelled(first_error);
      if (resumable) {
        // The submitted imports may still finish; a rerun waits for them by task id.
        spdlog::warn("load: '{}' is partly loaded; rerun load to finish", name);
      } else if (state.created) {
        // A collection this load created holds nothing the user had: drop it rather than
        // leave a half-filled one behind.
        spdlog::warn("load: dropping collection '{}' that this load created, after the error",
                     name);
        milvus.DropCollection(name).IgnoreError();
        store.Update([&](Manifest& mm) { mm.collections[c].load = LoadState{}; }).IgnoreError();
      } else {
        bool any_completed = false;
        for (const auto& [dir, r] : state.imports) any_completed |= r.completed;
        if (any_completed) {
          spdlog::warn("load: collection '{}' existed before and now holds part of the rows; "
                       "rerun load to finish (imported parts are not imported again)", name);
        }
      }
      return first_error;
    }

    // Every row the dump wrote must be there, no more and no less.
    ASSIGN_OR_RETURN(int64_t count, milvus.CountRows(name));
    Manifest m = store.Snapshot();
    const int64_t expected = m.collections[c].load.rows_before + m.collections[c].total_rows;
    if (count != expected) {
      return absl::DataLossError(StrCat("collection '", name, "' counts ", count,
                                        " rows after the load, expected ", expected, " (",
                                        m.collections[c].load.rows_before, " before + ",
                                        m.collections[c].total_rows, " dumped)"));
    }
    spdlog::info("load: collection '{}' holds {} rows, as expected", name, count);
    RETURN_IF_ERROR(IndexAndLoad(milvus, m.collections[c], options));
    RETURN_IF_ERROR(store.Update([&](Manifest& mm) { mm.collections[c].load.verified = true; }));
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace mm
