// Load: the dump's parts into a sink that takes parts (pipeline/sink.h). The dump's
// manifest is checked first (complete, every part not yet loaded present and whole, the
// rows adding up), then the sink loads what its checkpoint says is left. Which sink it is
// (bulk import today) is the caller's choice; nothing here depends on it.
#pragma once

#include "core/status.h"
#include "milvus/milvus_client.h"
#include "pipeline/import_sink.h"
#include "pipeline/manifest.h"
#include "pipeline/sink.h"
#include "storage/storage.h"

namespace mm {

// Loads the dump in `storage` (its manifest read through `store`) with `sink`.
// NotFound without a manifest; FailedPrecondition for an incomplete dump or a sink that
// takes batches (it runs beside the source, not after a dump); DataLoss naming the part
// or collection when a part not yet loaded is damaged or the recorded rows do not add up.
// REQUIRES: the caller holds the OutputLock of `storage`.
Result<LoadSummary> RunLoad(Sink& sink, Storage& storage, ManifestStore& store);

// RunLoad with an ImportSink into `milvus`.
Result<LoadSummary> RunLoad(MilvusClient& milvus, Storage& storage, ManifestStore& store,
                            const LoadOptions& options);

}  // namespace mm
