// Builds the things a config names: the source, the output storage, the Milvus client.
#pragma once

#include <memory>
#include <string>

#include "config/migration_config.h"
#include "core/status.h"
#include "milvus/milvus_client.h"
#include "sources/milvus1x/milvus1x_meta.h"
#include "sources/source.h"
#include "storage/storage.h"

namespace mm {

struct OpenedSource {
  std::unique_ptr<Source> source;
  std::string id;  // what is read, for the manifest: "faiss:/data/x.index (123456 bytes)"
};

Result<OpenedSource> OpenSource(const MigrationConfig& config);

// Milvus 1.x metadata from where meta.* says (sqlite, mysql, a local or remote meta.json).
struct Milvus1xMetaRead {
  Milvus1xMeta meta;
  std::string origin;  // for messages and the manifest: "sqlite /db/meta.sqlite"
};
Result<Milvus1xMetaRead> ReadMilvus1xMeta(const MigrationConfig& config);
// The storage rooted at the output directory (local dir or bucket prefix).
Result<std::unique_ptr<Storage>> OpenOutputStorage(const MigrationConfig& config);
Result<std::unique_ptr<MilvusClient>> ConnectMilvus(const MigrationConfig& config);

}  // namespace mm
