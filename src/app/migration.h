// The commands, as a library: each builds the source, the output storage and the Milvus
// client from a MigrationConfig and runs the pipeline. The CLI and the REST server both
// call these.
#pragma once

#include "config/migration_config.h"
#include "core/status.h"

namespace mm {

// Source -> bulk-import files in the output (target.local.outputDir or the bucket).
Status Dump(const MigrationConfig& config);
// Bulk-import files -> Milvus, then the row-count check.
Status Load(const MigrationConfig& config);
// Dump then Load; checks Milvus is reachable before reading the source.
Status Start(const MigrationConfig& config);

}  // namespace mm
