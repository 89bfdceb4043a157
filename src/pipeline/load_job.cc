#include "pipeline/load_job.h"

#include <optional>
#include <vector>

#include "pipeline/part_check.h"

namespace mm {

Result<LoadSummary> RunLoad(Sink& sink, Storage& storage, ManifestStore& store) {
  if (sink.input() != SinkInput::kParts) {
    return absl::FailedPreconditionError(StrCat(
        "the ", sink.kind(), " sink takes batches from the source, not the parts of a dump"));
  }
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
  return sink.LoadParts(storage, store);
}

Result<LoadSummary> RunLoad(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                            const LoadOptions& options) {
  ImportSink sink(&milvus, options);
  return RunLoad(sink, storage, store);
}

}  // namespace mm
