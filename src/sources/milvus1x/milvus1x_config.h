// The Milvus 1.x parts of migration.yaml (workMode milvus1x): source.<mode>.tablesDir, meta.*
// (or its older spelling source.local.meta.*) and the name maps; its parser, the meta
// readers' choice (sqlite, mysql, a local or remote meta.json) and its opener.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "sources/milvus1x/milvus1x_meta.h"
#include "sources/registry.h"
#include "sources/source_config.h"
#include "sources/source_files.h"

namespace mm {

struct Milvus1xConfig final : SourceConfig {
  SourceLocation location;       // source.mode, source.remote: where tables and meta.json are
  std::string tables_dir;        // source.local.tablesDir or source.remote.tablesDir
  std::string meta_mode;         // meta.mode: sqlite | mysql | local | remote (mock -> local)
  std::string meta_sqlite_file;  // meta.sqliteFile
  std::string meta_mysql_url;    // meta.mysqlUrl (Go driver DSN)
  std::string meta_local_file;   // meta.localFile (meta.mockFile for mock): a meta.json
  std::string meta_remote_file;  // meta.remoteMetaFile: a meta.json in source.remote's bucket
  // 1.x names to 2.x names, for names 2.x rejects or that should change
  // (target.create.collection.nameMap, target.create.partition.nameMap: tag -> name).
  std::map<std::string, std::string> collection_name_map;
  std::map<std::string, std::string> partition_name_map;
};

// A tablesDir under source.<mode>, or a meta.mode, names a Milvus 1.x source (unless a
// source.es section names Elasticsearch: ES configs have a meta section too).
bool RecogniseMilvus1xConfig(const ConfigReader& r, const MigrationConfig& shared);
// InvalidArgument naming the key: no tablesDir, an unknown meta.mode, its file unset.
Result<std::shared_ptr<const SourceConfig>> ParseMilvus1xConfig(ConfigReader& r,
                                                                MigrationConfig* shared);

// Milvus 1.x metadata from where meta.* says (sqlite, mysql, a local or remote meta.json).
// `shared` gives the retry budget for a remote meta.json.
struct Milvus1xMetaRead {
  Milvus1xMeta meta;
  std::string origin;  // for messages and the manifest: "sqlite /db/meta.sqlite"
};
Result<Milvus1xMetaRead> ReadMilvus1xMeta(const Milvus1xConfig& config,
                                          const MigrationConfig& shared);

// Reads the metadata and opens the tables directory; `config` is a Milvus1xConfig.
Result<OpenedSource> OpenMilvus1xSource(const SourceConfig& config,
                                        const MigrationConfig& shared);

}  // namespace mm
