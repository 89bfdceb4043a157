// Builds the target-side things a config names: the output storage, the Milvus client.
// The source is opened by its kind, through src/sources/registry.h.
#pragma once

#include <memory>

#include "config/migration_config.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "storage/storage.h"

namespace mm {

// The storage rooted at the output directory (local dir or bucket prefix).
Result<std::unique_ptr<Storage>> OpenOutputStorage(const MigrationConfig& config);
Result<std::unique_ptr<MilvusClient>> ConnectMilvus(const MigrationConfig& config);
// Creates target.milvus2x.database when it is set and the server does not have it yet (the
// Go tool's 2.x -> 2.x copy does too). FailedPrecondition naming the key when the server has
// no databases (Milvus Lite) and one other than "default" is asked for.
Status EnsureTargetDatabase(const MigrationConfig& config);

}  // namespace mm
