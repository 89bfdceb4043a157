// Reads one task of the PostgreSQL source: a binary COPY of the task's rows, in the task's
// order (pk or ctid), inside the source's exported snapshot, decoded into batches of about
// `batch_bytes`. Memory stays at one batch plus libpq's row buffer, whatever the table.
// Not thread-safe; each task has its own reader and connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sources/postgres/pg_connection.h"
#include "sources/postgres/pg_table.h"
#include "sources/source.h"

namespace mm {

struct PgResumePoint {
  bool set = false;
  int64_t value = 0;  // the last pk read, or the last ctid as block << 16 | offset
};

class PgCopyReader : public BatchReader {
 public:
  // Connects, enters `snapshot` (SET TRANSACTION SNAPSHOT) and starts the COPY of `spec`'s
  // rows after `after`. `skip_invalid`: a NULL in a scalar column leaves the row out (a skip)
  // instead of failing.
  static Result<std::unique_ptr<PgCopyReader>> Open(const PgConnectionConfig& connection,
                                                    const std::string& snapshot,
                                                    PgTaskSpec spec, PgResumePoint after,
                                                    int64_t batch_bytes, bool skip_invalid,
                                                    std::string task_id);

  const SchemaPtr& schema() const override { return spec_.table->schema; }
  Result<std::optional<Batch>> Next() override;
  // "pk:<value>" or "ctid:<block>:<offset>"; "" for a query (read again from its start).
  std::string PositionAfter(int64_t row) const override;

  // Parses a PositionAfter string. InvalidArgument if it is not one.
  static Result<PgResumePoint> ParsePosition(const std::string& position);
  // The COPY statement of `spec` after `after` (for tests and messages).
  static std::string CopySql(const PgTaskSpec& spec, const PgResumePoint& after);

 private:
  PgCopyReader(std::unique_ptr<PgConnection> conn, PgTaskSpec spec, int64_t batch_bytes,
               bool skip_invalid, std::string task_id);
  // Fills `bytes` with the next complete tuple; false at the COPY's end.
  Result<bool> NextTuple();
  // Decodes the tuple in `tuple_` into `batch`, or adds it to its skips.
  Status AddTuple(Batch* batch);
  std::string RowName() const;

  std::unique_ptr<PgConnection> conn_;
  PgTaskSpec spec_;
  int64_t batch_bytes_;
  bool skip_invalid_;
  std::string task_id_;
  bool header_done_ = false;
  bool done_ = false;
  std::string pending_;     // COPY bytes not parsed yet
  size_t pending_off_ = 0;
  // The current tuple: per selected column, its bytes (data == nullptr for NULL).
  std::vector<std::string_view> tuple_;
  std::vector<std::pair<size_t, int32_t>> spans_;  // per column: offset, length (-1 NULL)
  std::vector<std::string> scratch_;  // per field: array JSON
  std::vector<int64_t> scalars_;      // per field: decoded timestamps
  int64_t row_position_ = 0;          // the current tuple's position value
  std::vector<int64_t> positions_;    // per row of the last batch
  bool ordered_ = true;               // positions came in increasing order so far
  int64_t last_position_ = INT64_MIN;
  int64_t rows_read_ = 0;
};

}  // namespace mm
