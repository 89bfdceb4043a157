// The one table of source kinds. Each entry names its workMode, recognises its keys when
// workMode is absent, parses its part of migration.yaml and opens the Source. Adding a source
// means a folder under src/sources/ plus one line in registry.cc; nothing else changes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/status.h"
#include "sources/source.h"
#include "sources/source_config.h"

namespace mm {

struct OpenedSource {
  std::unique_ptr<Source> source;
  std::string id;  // what is read, for the manifest: "faiss:/data/x.index (123456 bytes)"
};

struct SourceKind {
  const char* work_mode;  // dumper.worker.workMode: "faiss"
  // True when the keys present name this kind; asked in table order when workMode is absent.
  bool (*recognise)(const ConfigReader& r, const MigrationConfig& shared);
  // Reads and checks the kind's keys, errors naming the key. May set the shared settings the
  // kind spells its own way (ES: reader.bufferSize as documents a page, meta.invalidDocs).
  Result<std::shared_ptr<const SourceConfig>> (*parse)(ConfigReader& r, MigrationConfig* shared);
  // Opens the source `config` (as parse returned it) names.
  Result<OpenedSource> (*open)(const SourceConfig& config, const MigrationConfig& shared);
  // loader.mode when neither it nor target.milvus2x.writeMode is given: bulk import for
  // file-like sources, Insert for a Milvus 2.x source (whose target may not reach its bucket).
  LoaderMode default_loader_mode = LoaderMode::kImport;
};

// The kind whose work_mode is `work_mode`; nullptr if none.
const SourceKind* FindSourceKind(std::string_view work_mode);
// The first kind (in table order) that recognises the keys of `r`; nullptr if none.
const SourceKind* RecogniseSourceKind(const ConfigReader& r, const MigrationConfig& shared);
// "faiss, milvus2x, milvus1x or elasticsearch": the workModes, for messages.
std::string SourceKindNames();

// Opens the source config.work_mode names, from config.source.
Result<OpenedSource> OpenSource(const MigrationConfig& config);

}  // namespace mm
