// Load: prepares the target collection (per target.create.collection.ifExists), submits
// one Milvus import per dumped part with at most `workers` in flight, polls each until it
// completes or fails, and checks that Milvus counts exactly the rows the dump wrote.
// Each finished import is checkpointed; a rerun polls submitted imports by task id and
// never imports a part twice: the intent to submit is checkpointed first, and a rerun after
// a crash between submitting and recording finds the submitted task by its files
// (ListImportTasks) before submitting again. A failed load keeps what it knows (the
// collection it created, the parts submitted and imported) unless it really dropped the
// collection, so a plain rerun finishes the same load.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "config/migration_config.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "pipeline/manifest.h"
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
};

struct LoadSummary {
  int64_t rows = 0;        // rows imported by this load
  int parts = 0;
  int parts_skipped = 0;   // imported by an earlier run
  double seconds = 0;
};

// REQUIRES: the caller holds the OutputLock of `storage`.
Result<LoadSummary> RunLoad(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                            const LoadOptions& options);

}  // namespace mm
