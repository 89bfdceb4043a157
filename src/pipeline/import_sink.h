// The bulk-import sink: loads dumped parts through Milvus bulk import. Prepares the target
// collection (per target.create.collection.ifExists), submits one Milvus import per dumped
// part with at most `workers` in flight, polls each until it completes or fails, and checks
// that Milvus counts exactly the rows the dump wrote; then the index and the load, if asked.
// Each finished import is checkpointed; a rerun polls submitted imports by task id and
// never imports a part twice: the intent to submit is checkpointed first, and a rerun after
// a crash between submitting and recording finds the submitted task by its files
// (ListImportTasks) before submitting again. A failed load keeps what it knows (the
// collection it created, the parts submitted and imported) unless it really dropped the
// collection, so a plain rerun finishes the same load.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/migration_config.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "pipeline/manifest.h"
#include "pipeline/run_observer.h"
#include "pipeline/sink.h"
#include "storage/storage.h"

namespace mm {

struct LoadOptions {
  std::string target;  // names the Milvus (endpoint and database) in the checkpoint
  int workers = 2;
  int64_t import_timeout_s = 3600;  // per part
  IfCollectionExists if_exists = IfCollectionExists::kFail;
  int poll_interval_ms = 500;
  // After the count check: an index on the vector field (none when empty), then a load.
  std::string index_type;
  std::map<std::string, std::string> index_params;
  bool load_collection = false;
  // Test-only fault injection (MM_TEST_PAUSE_AFTER_IMPORT_SUBMIT_MS): sleep this long after
  // Milvus accepted an import and before its task ids are checkpointed, so a test can kill
  // the process inside that window. 0 in real runs.
  int64_t test_pause_after_submit_ms = 0;
  // Sees each part imported (rows, bytes) and each Milvus import task id; may be null.
  // Must outlive the sink.
  RunObserver* observer = nullptr;
};

// The steps every sink of this tool takes on a collection (InsertSink uses them too).
// Starts the checkpoint's LoadState of collection `index` over when it refers to another
// Milvus, to a collection that has gone, or to a completed load with ifExists: recreate.
Status ResetStaleLoadState(MilvusClient& milvus, ManifestStore& store, size_t index,
                           const LoadOptions& options);
// Creates, adopts, appends to or recreates the collection (ifExists), once per migration,
// and its partitions; records it prepared in the checkpoint.
Status PrepareCollection(MilvusClient& milvus, ManifestStore& store, size_t index,
                         const LoadOptions& options, const std::string& plan_id,
                         const std::string& checkpoint);
// The index on each vector field (when options.index_type is set), then the load, if asked.
Status IndexAndLoad(MilvusClient& milvus, const CollectionManifest& cm,
                    const LoadOptions& options);

class ImportSink final : public Sink {
 public:
  // `milvus` must outlive the sink.
  ImportSink(MilvusClient* milvus, LoadOptions options);

  SinkInput input() const override { return SinkInput::kParts; }
  std::string_view kind() const override { return "import"; }
  Status CheckTargets(Storage& output, const std::string& source_id,
                      const std::vector<CollectionPlan>& plans) override;
  // Collection by collection: every target collection is checked before the first import,
  // then each is prepared, its parts imported, its row count checked (DataLoss when Milvus
  // counts other than rows before + rows dumped), indexed and loaded.
  Result<LoadSummary> LoadParts(Storage& storage, ManifestStore& store) override;

  // `start`: `workers` threads import each part of a streamable collection as soon as the
  // dump checkpointed it, through the same steps as LoadParts (the collection prepared
  // before its first part, the intent checkpointed before each submit, at most `workers`
  // imports in flight); LoadParts then imports what is left and checks the counts.
  Status BeginParts(Storage& storage, ManifestStore& store,
                    std::vector<bool> streamable) override;
  Status PartsCheckpointed() override;
  Status EndParts(const Status& dump_status) override;
  ~ImportSink() override;

 private:
  class PartStream;

  MilvusClient* milvus_;
  LoadOptions options_;
  std::unique_ptr<PartStream> stream_;
};

}  // namespace mm
