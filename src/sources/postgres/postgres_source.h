// The PostgreSQL / pgvector source: each configured table (or the one `query:`) becomes a
// collection. Open connects, starts a REPEATABLE READ transaction and exports its snapshot
// (pg_export_snapshot), which it holds until the source goes away; every task's connection
// reads inside that snapshot (SET TRANSACTION SNAPSHOT), so all tasks see one consistent
// state of the database, several in parallel.
// Tasks: ranges of a single integer primary key (read in pk order: a task cut short resumes
// after its last pk), else block ranges of the table or of each leaf partition (read in
// ctid order, resuming after the last ctid). A query is one task, read again from its start.
// Thread-safe after Open: tasks open concurrently, each on its own connection.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "sources/postgres/pg_connection.h"
#include "sources/postgres/pg_table.h"
#include "sources/postgres/postgres_config.h"
#include "sources/source.h"

namespace mm {

class PostgresSource : public Source {
 public:
  // Connects, exports the snapshot and reads every table's catalog and sizes in it. NotFound
  // for a missing table or column, InvalidArgument for a column whose type has no Milvus
  // counterpart (naming it, its type and the way around it), Unauthenticated for refused
  // credentials.
  static Result<std::unique_ptr<PostgresSource>> Open(const PostgresConfig& config,
                                                      bool skip_invalid_rows);
  ~PostgresSource() override;

  // "user@host:port/db (3 tables)", without secrets.
  std::string Describe() const;

  Result<std::vector<CollectionPlan>> Plan() override;
  Result<std::unique_ptr<BatchReader>> OpenTask(const SourceTask& task) override;
  // `position`: "pk:<value>" or "ctid:<block>:<offset>" from PositionAfter.
  Result<std::unique_ptr<BatchReader>> OpenTaskAt(const SourceTask& task,
                                                  const std::string& position) override;

 private:
  PostgresSource(PostgresConfig config, bool skip_invalid_rows,
                 std::unique_ptr<PgConnection> snapshot_conn, std::string snapshot);
  Result<std::unique_ptr<BatchReader>> Open(const SourceTask& task, const std::string& position);

  const PostgresConfig config_;
  const bool skip_invalid_rows_;
  std::unique_ptr<PgConnection> snapshot_conn_;  // its open transaction keeps the snapshot
  const std::string snapshot_;
  std::vector<std::shared_ptr<const PgTable>> tables_;
  std::mutex mu_;
  std::map<std::string, PgTaskSpec> tasks_;  // by "collection/task id", filled by Plan
};

}  // namespace mm
