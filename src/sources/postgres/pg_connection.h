// One libpq connection, owned: connect with the configured settings (never echoing the
// password), run statements, stream a binary COPY. libpq stays out of other headers.
// Not thread-safe: one connection per thread (PostgreSQL's rule too).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sources/postgres/postgres_config.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace mm {

// A query result: text values by row and column. Small results only (catalog queries).
class PgResult {
 public:
  explicit PgResult(PGresult* res);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  bool IsNull(int row, int col) const;
  std::string Get(int row, int col) const;  // "" for NULL

 private:
  PGresult* res_;
};

class PgConnection {
 public:
  // Connects. Unauthenticated when the server refuses the password (the message names the
  // user and server, not the password); Unavailable when the server cannot be reached;
  // InvalidArgument for a DSN libpq cannot parse.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectionConfig& config);
  ~PgConnection();

  // "user@host:port/db", for messages and the manifest.
  const std::string& description() const { return description_; }

  // Runs `sql` with text `params` ($1, $2...); the rows, or the server's error (with its
  // SQLSTATE mapped to a code) prefixed by `what`.
  Result<PgResult> Query(std::string_view what, const std::string& sql,
                         const std::vector<std::string>& params = {});
  Status Exec(std::string_view what, const std::string& sql) {
    return Query(what, sql).status();
  }
  // The result columns of `sql` without running it: name, type oid, typmod.
  struct ColumnShape {
    std::string name;
    uint32_t type_oid = 0;
    int32_t typmod = -1;
  };
  Result<std::vector<ColumnShape>> Describe(std::string_view what, const std::string& sql);
  // `name` quoted as a literal ('it''s'), by libpq's rules for this connection.
  std::string QuoteLiteral(std::string_view value) const;

  // Starts `COPY (...) TO STDOUT (FORMAT binary)`; then ReadCopy until it returns false.
  Status StartCopy(std::string_view what, const std::string& copy_sql);
  // The next chunk of COPY data (one row, as libpq hands it) in `*chunk` (valid until the
  // next call); false at the end (after checking the COPY's final status).
  Result<bool> ReadCopy(std::string_view what, std::string_view* chunk);

 private:
  PgConnection(PGconn* conn, std::string description);
  Status ServerError(std::string_view what, PGresult* res) const;

  PGconn* conn_;
  std::string description_;
  char* copy_buf_ = nullptr;
};

}  // namespace mm
