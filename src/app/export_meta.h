// The `export` command: Milvus 1.x metadata (SQLite or MySQL) written as the meta.json that
// `meta.mode: local` reads, so a migration can run where the 1.x database is not reachable.
#pragma once

#include <string>

#include "core/status.h"

namespace mm {

struct ExportMetaRequest {
  std::string sqlite_file;  // -s/--sqlite
  std::string mysql_url;    // -m/--mysql, the Go driver DSN
  std::string output_dir;   // -o/--output; meta.json is written there (atomically)
};

// Exactly one of sqlite_file and mysql_url. Returns the path written.
Result<std::string> ExportMilvus1xMeta(const ExportMetaRequest& request);

}  // namespace mm
