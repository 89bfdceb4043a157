// Where a file-based source's bytes are (a FAISS file, the 1.x tables and meta.json): on local
// disk, or in source.remote's bucket when source.mode is remote. Elasticsearch reads neither.
#pragma once

#include <memory>
#include <string>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/status.h"
#include "storage/storage.h"

namespace mm {

// source.mode and source.remote, as the Go tool spells them.
struct SourceLocation {
  std::string mode = "local";  // local | remote
  RemoteConfig remote;         // source.remote; used when mode is remote
};

// source.mode as written ("local" when absent or not a string): names the section
// (source.local / source.remote) a kind's keys are under, for recognising the kind.
std::string SourceModeOf(const ConfigReader& r);
// Reads source.mode and source.remote.*; InvalidArgument naming the key for a malformed
// value or a mode other than local or remote.
Status ReadSourceLocation(const ConfigReader& r, SourceLocation* out);
// When source.mode is remote: InvalidArgument naming the source.remote key that is missing.
Status CheckSourceLocation(const ConfigReader& r, const SourceLocation& location);

// The bucket the source lives in (source.remote), rooted at `prefix` (slashes trimmed).
// `shared` gives the retry budget and the upload part size.
Result<std::unique_ptr<Storage>> OpenSourceBucket(const MigrationConfig& shared,
                                                  const SourceLocation& location,
                                                  std::string prefix);
// `path` on local disk (source.mode local) or a key in source.remote's bucket.
Result<std::shared_ptr<RandomAccessFile>> OpenSourceFile(const MigrationConfig& shared,
                                                         const SourceLocation& location,
                                                         const std::string& path);

}  // namespace mm
