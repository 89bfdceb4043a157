#include "sources/postgres/postgres_config.h"

#include <set>

#include "milvus/name_rules.h"
#include "sources/postgres/postgres_source.h"

namespace mm {
namespace {

Status ReadTable(const ConfigReader& t, PgTableConfig* out) {
  RETURN_IF_ERROR(t.Get("name", &out->name));
  RETURN_IF_ERROR(t.Get("collection", &out->collection));
  RETURN_IF_ERROR(t.Get("pk", &out->pk));
  RETURN_IF_ERROR(t.Get("fields", &out->fields));
  std::string numeric = "double";
  RETURN_IF_ERROR(t.Get("numericAs", &numeric));
  if (numeric != "double" && numeric != "varchar") {
    return t.Invalid("numericAs", StrCat("expected double or varchar, got '", numeric, "'"));
  }
  out->numeric_as_varchar = numeric == "varchar";
  std::string half = "float";
  RETURN_IF_ERROR(t.Get("halfvecAs", &half));
  if (half != "float" && half != "float16") {
    return t.Invalid("halfvecAs", StrCat("expected float or float16, got '", half, "'"));
  }
  out->halfvec_as_float16 = half == "float16";
  std::set<std::string> seen;
  for (const auto& f : out->fields) {
    if (f.empty()) return t.Invalid("fields", "holds an empty name");
    if (!seen.insert(f).second) return t.Invalid("fields", StrCat("lists '", f, "' twice"));
  }
  if (!out->collection.empty()) {
    if (Status s = ValidateMilvus2xName(out->collection, "collection name"); !s.ok()) {
      return t.Invalid("collection", std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Status ReadPostgresConfig(const ConfigReader& r, PostgresConfig* out) {
  PgConnectionConfig& c = out->connection;
  RETURN_IF_ERROR(r.Get("source.postgres.dsn", &c.dsn));
  RETURN_IF_ERROR(r.Get("source.postgres.host", &c.host));
  RETURN_IF_ERROR(r.GetIntInRange("source.postgres.port", &c.port, 0, 65535));
  RETURN_IF_ERROR(r.Get("source.postgres.user", &c.user));
  RETURN_IF_ERROR(r.Get("source.postgres.password", &c.password));
  RETURN_IF_ERROR(r.Get("source.postgres.dbname", &c.dbname));
  RETURN_IF_ERROR(r.Get("source.postgres.sslmode", &c.sslmode));
  static const std::set<std::string> kSslModes = {"",        "disable", "allow",    "prefer",
                                                  "require", "verify-ca", "verify-full"};
  if (!kSslModes.count(c.sslmode)) {
    return r.Invalid("source.postgres.sslmode",
                     StrCat("expected disable, allow, prefer, require, verify-ca or "
                            "verify-full, got '", c.sslmode, "'"));
  }
  if (c.dsn.empty() && c.host.empty()) {
    return r.Invalid("source.postgres.dsn",
                     "must be set (or source.postgres.host with user, password, dbname)");
  }

  ASSIGN_OR_RETURN(std::vector<ConfigReader> items, r.Items("source.postgres.tables"));
  for (size_t i = 0; i < items.size(); ++i) {
    PgTableConfig t;
    t.key = StrCat("source.postgres.tables[", i, "]");
    RETURN_IF_ERROR(ReadTable(items[i], &t));
    if (t.name.empty()) return items[i].Invalid("name", "must name the table");
    out->tables.push_back(std::move(t));
  }
  RETURN_IF_ERROR(r.Get("source.postgres.query", &out->query));
  if (!out->query.empty()) {
    if (!out->tables.empty()) {
      return r.Invalid("source.postgres.query", "and source.postgres.tables go apart: set one");
    }
    PgTableConfig& q = out->query_table;
    q.key = "source.postgres";
    RETURN_IF_ERROR(r.Get("source.postgres.collection", &q.collection));
    RETURN_IF_ERROR(r.Get("source.postgres.pk", &q.pk));
    if (q.collection.empty()) {
      return r.Invalid("source.postgres.collection", "must name the collection a query fills");
    }
    if (Status s = ValidateMilvus2xName(q.collection, "collection name"); !s.ok()) {
      return r.Invalid("source.postgres.collection", std::string(s.message()));
    }
  } else if (out->tables.empty()) {
    return r.Invalid("source.postgres.tables", "must list the tables to migrate (or set "
                                               "source.postgres.query)");
  }
  return absl::OkStatus();
}

bool RecognisePostgresConfig(const ConfigReader& r, const MigrationConfig& /*shared*/) {
  return r.Has("source.postgres");
}

Result<std::shared_ptr<const SourceConfig>> ParsePostgresConfig(ConfigReader& r,
                                                                MigrationConfig* shared) {
  RETURN_IF_ERROR(ReadReaderBufferKb(r, shared));
  auto pg = std::make_shared<PostgresConfig>();
  RETURN_IF_ERROR(ReadPostgresConfig(r, pg.get()));
  pg->batch_bytes = shared->reader_buffer_kb * 1024;
  pg->tasks_min = shared->dumper_limit;
  pg->metric_type = shared->metric_type;
  // One table and target.create.collection.name: that name, as for the other sources.
  if (pg->tables.size() == 1 && pg->tables[0].collection.empty()) {
    pg->tables[0].collection = shared->collection;
  }
  return std::shared_ptr<const SourceConfig>(std::move(pg));
}

Result<OpenedSource> OpenPostgresSource(const SourceConfig& source_config,
                                        const MigrationConfig& shared) {
  const auto& config = static_cast<const PostgresConfig&>(source_config);
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresSource> source,
                   PostgresSource::Open(config, shared.skip_invalid_rows));
  OpenedSource opened;
  opened.id = StrCat("postgres:", source->Describe());
  opened.source = std::move(source);
  return opened;
}

}  // namespace mm
