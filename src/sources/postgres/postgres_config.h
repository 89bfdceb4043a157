// The PostgreSQL / pgvector parts of migration.yaml (workMode postgres): how to connect
// (source.postgres.dsn, or host/port/user/password/dbname/sslmode) and what to read
// (source.postgres.tables[], or one source.postgres.query). Its parser and its opener, for
// the source registry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config_reader.h"
#include "config/migration_config.h"
#include "core/status.h"
#include "sources/registry.h"
#include "sources/source_config.h"

namespace mm {

// How to reach the server. Secrets stay here; never log them (Describe() is safe).
struct PgConnectionConfig {
  std::string dsn;  // a libpq URI or key=value string; may hold the password
  std::string host;
  int port = 0;  // 0: the DSN's or libpq's default
  std::string user;
  std::string password;
  std::string dbname;
  std::string sslmode;
};

// One source.postgres.tables[] entry: a table (or view-less partitioned table) -> a collection.
struct PgTableConfig {
  std::string name;        // "public.items" or "items" (search_path)
  std::string collection;  // "" = the table name made a valid Milvus name
  std::string pk;          // "" = the table's primary key if it is one column, else auto id
  std::vector<std::string> fields;  // "" = every column of a supported type
  bool numeric_as_varchar = false;  // numericAs: double (default) | varchar
  bool halfvec_as_float16 = false;  // halfvecAs: float (default) | float16
  std::string key;  // "source.postgres.tables[0]", for messages
};

struct PostgresConfig final : SourceConfig {
  PgConnectionConfig connection;
  std::vector<PgTableConfig> tables;
  // source.postgres.query: one SELECT read as one task into `query_table.collection`
  // (required), its pk from `query_table.pk` (else an auto id).
  std::string query;
  PgTableConfig query_table;
  int64_t batch_bytes = 1024 * 1024;  // dumper.worker.reader.bufferSize (KB): a batch's size
  int tasks_min = 2;                  // dumper.worker.limit: at least this many tasks a table
  std::string metric_type;            // target.create.collection.metricType; "" = L2
};

// Reads and checks the postgres section; errors name the key.
Status ReadPostgresConfig(const ConfigReader& r, PostgresConfig* out);

// A source.postgres section names a PostgreSQL source.
bool RecognisePostgresConfig(const ConfigReader& r, const MigrationConfig& shared);
Result<std::shared_ptr<const SourceConfig>> ParsePostgresConfig(ConfigReader& r,
                                                                MigrationConfig* shared);
// Connects, exports a snapshot and reads the catalog; `config` is a PostgresConfig.
Result<OpenedSource> OpenPostgresSource(const SourceConfig& config, const MigrationConfig& shared);

}  // namespace mm
