// Reads Milvus 1.x metadata from its SQLite file (db/meta.sqlite), opened read-only so a
// running 1.x server or a read-only mount is never disturbed.
#pragma once

#include <string>

#include "core/status.h"
#include "sources/milvus1x/milvus1x_meta.h"

namespace mm {

// NotFound when the file is absent; DataLoss (naming the file) when it is not a SQLite
// database or lacks the Tables/TableFiles tables or their columns.
Result<Milvus1xMeta> ReadSqliteMeta(const std::string& path);

}  // namespace mm
