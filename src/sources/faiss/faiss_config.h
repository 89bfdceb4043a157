// The FAISS parts of migration.yaml (workMode faiss): source.<mode>.faissFile and our
// source.faiss.* keys; its parser and its opener, for the source registry.
#pragma once

#include <memory>
#include <string>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "sources/registry.h"
#include "sources/source_config.h"
#include "sources/source_files.h"

namespace mm {

struct FaissConfig final : SourceConfig {
  SourceLocation location;  // source.mode, source.remote
  std::string faiss_file;  // source.local.faissFile or source.remote.faissFile
  // source.faiss.allowTrailingBytes: accept (with a warning) bytes after the end of the
  // FAISS index instead of refusing the file as damaged.
  bool allow_trailing_bytes = false;
};

// A faissFile under source.<mode> names a FAISS source.
bool RecogniseFaissConfig(const ConfigReader& r, const MigrationConfig& shared);
// InvalidArgument naming the key: no faissFile, no target.create.collection.name.
Result<std::shared_ptr<const SourceConfig>> ParseFaissConfig(ConfigReader& r,
                                                             MigrationConfig* shared);
// Opens the index file (local or in source.remote's bucket); `config` is a FaissConfig.
Result<OpenedSource> OpenFaissSource(const SourceConfig& config, const MigrationConfig& shared);

}  // namespace mm
