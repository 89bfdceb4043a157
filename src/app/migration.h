// The commands, as a library: each builds the source, the output storage and the Milvus
// client from a MigrationConfig and runs the pipeline. The CLI and the REST server both
// call these.
#pragma once

#include <cstdint>
#include <string>

#include "config/migration_config.h"
#include "core/cancellation.h"
#include "core/status.h"
#include "pipeline/run_observer.h"

namespace mm {

// What a caller that runs several migrations in one process (the REST server) passes to
// watch one run and stop it alone; both may be null. Both must outlive the call.
struct RunHooks {
  RunObserver* observer = nullptr;  // phase, rows and bytes per collection, import task ids
  // Requested: the run stops at its next safe point, as on Ctrl-C (Cancelled).
  CancellationFlag* cancel = nullptr;
};

// Source -> bulk-import files in the output (target.local.outputDir or the bucket).
Status Dump(const MigrationConfig& config);
// Bulk-import files -> Milvus, then the row-count check.
Status Load(const MigrationConfig& config);
// Dump then Load; checks Milvus is reachable before reading the source.
Status Start(const MigrationConfig& config);

// What `verify` is asked (see verify/verifier.h).
struct VerifyRequest {
  double sample_percent = 100;  // --sample P
  std::string report_file;      // --report FILE; "" = only verify-report.json in the output
  uint64_t seed = 0;            // 0: random
  // When set, receives the JSON report (the same as verify-report.json) once verify has
  // compared the two sides, also when they differ; the REST server keeps it with the job.
  std::string* report_json = nullptr;
};

// Compares the source with the Milvus collections it was migrated into; prints the summary,
// writes the JSON report to `request.report_file` and as verify-report.json beside
// manifest.json in the output. A mismatch is DataLoss naming what differs (exit 1).
Status Verify(const MigrationConfig& config, const VerifyRequest& request);
// The same, its progress (the verify phase) seen through `hooks.observer`.
Status Verify(const MigrationConfig& config, const VerifyRequest& request,
              const RunHooks& hooks);
// The same, watched and stoppable through `hooks`.
Status Dump(const MigrationConfig& config, const RunHooks& hooks);
Status Load(const MigrationConfig& config, const RunHooks& hooks);
Status Start(const MigrationConfig& config, const RunHooks& hooks);

}  // namespace mm
