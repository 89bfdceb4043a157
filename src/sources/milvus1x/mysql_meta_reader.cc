#include "sources/milvus1x/mysql_meta_reader.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mm {
namespace {

constexpr int64_t kDefaultConnectTimeoutMs = 10000;
// Without a readTimeout in the DSN a dead server must still not hang the tool.
constexpr int64_t kDefaultIoTimeoutMs = 300000;

const char* const kTableColumns =
    "id, table_id, state, dimension, metric_type, engine_type, index_params, owner_table, "
    "partition_tag";
const char* const kFileColumns = "id, table_id, segment_id, file_id, file_type, file_size, row_count";

struct MysqlCloser {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
struct ResultFreer {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};

// Whole seconds, as the C client takes them; a Go duration of more than 136 years (it may
// reach 292) saturates instead of wrapping round to a short timeout.
unsigned int Seconds(int64_t ms) {
  return static_cast<unsigned int>(
      std::min<int64_t>((ms + 999) / 1000, std::numeric_limits<unsigned int>::max()));
}

std::string Where(const MysqlDsn& dsn) {
  if (dsn.protocol == "unix") return StrCat("unix socket ", dsn.socket);
  if (dsn.host.find(':') != std::string::npos) return StrCat("[", dsn.host, "]:", dsn.port);
  return StrCat(dsn.host, ":", dsn.port);
}

// Maps the client's error to our codes. `doing` says what was attempted ("connecting",
// "reading table Tables"). Messages name the redacted DSN; MySQL's own text never holds the
// password.
Status MapError(MYSQL* conn, const MysqlDsn& dsn, const std::string& doing) {
  const unsigned int code = mysql_errno(conn);
  const std::string server_msg = mysql_error(conn);
  const std::string base =
      StrCat("MySQL ", dsn.Redacted(), ": ", doing, ": ", server_msg, " (error ", code, ")");
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return absl::UnauthenticatedError(StrCat("MySQL at ", Where(dsn), " rejected user '",
                                               dsn.user, "': ", server_msg,
                                               "; check the user and password of ",
                                               dsn.Redacted()));
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_HOST_NOT_PRIVILEGED:
      return absl::PermissionDeniedError(base);
    case ER_BAD_DB_ERROR:
      return absl::NotFoundError(StrCat("MySQL at ", Where(dsn), " has no database '",
                                        dsn.database, "' (", dsn.Redacted(), ")"));
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
      return absl::DataLossError(StrCat(base, "; not a Milvus 0.9-1.x meta database?"));
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SSL_CONNECTION_ERROR:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
      return absl::UnavailableError(
          StrCat("cannot reach MySQL at ", Where(dsn), " (", dsn.Redacted(), "): ", doing, ": ",
                 server_msg, " (error ", code, ")"));
    default:
      return absl::UnknownError(base);
  }
}

Status SetOption(MYSQL* conn, mysql_option option, const void* value, const std::string& name) {
  if (mysql_optionsv(conn, option, value) != 0) {
    return absl::InternalError(StrCat("MySQL client: cannot set option ", name));
  }
  return Status();
}

// Go driver's tls param: true (verify), skip-verify (encrypt only), preferred/false (no TLS
// requested; MariaDB Connector/C has no opportunistic mode we could rely on).
Status SetTls(MYSQL* conn, const MysqlDsn& dsn) {
  auto it = dsn.params.find("tls");
  if (it == dsn.params.end() || it->second == "false" || it->second == "preferred") return Status();
  my_bool yes = 1, no = 0;
  if (it->second == "true" || it->second == "skip-verify") {
    RETURN_IF_ERROR(SetOption(conn, MYSQL_OPT_SSL_ENFORCE, &yes, "tls"));
    return SetOption(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, it->second == "true" ? &yes : &no,
                     "tls");
  }
  return absl::InvalidArgumentError(
      StrCat("MySQL DSN: tls=", it->second,
             " names a TLS config registered in Go; use tls=true, skip-verify, preferred or false"));
}

Result<int64_t> ParseInt(const char* text, unsigned long len, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text, text + len, v);
  if (ec != std::errc() || end != text + len || v < min || v > max) {
    return absl::OutOfRangeError("bad");
  }
  return v;
}

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

// One fetched row, with DataLoss naming the table, row id and column for bad values.
class Row {
 public:
  Row(MYSQL_ROW row, unsigned long* lengths, std::string table, std::string origin)
      : row_(row), lengths_(lengths), table_(std::move(table)), origin_(std::move(origin)) {}

  Status Start() {
    if (row_[0] == nullptr) return Bad("id", "is NULL");
    auto id = ParseInt(row_[0], lengths_[0], kI64Min, kI64Max);
    if (!id.ok()) return Bad("id", "is not an integer");
    id_ = *id;
    return Status();
  }
  Result<int64_t> Int(int col, const char* column, int64_t min, int64_t max) const {
    if (row_[col] == nullptr) return Bad(column, "is NULL");
    auto v = ParseInt(row_[col], lengths_[col], min, max);
    if (!v.ok()) {
      return Bad(column, StrCat("is '", std::string(row_[col], lengths_[col]),
                                "', not an integer in range"));
    }
    return *v;
  }
  Result<std::string> Text(int col, const char* column) const {
    if (row_[col] == nullptr) return Bad(column, "is NULL");
    return std::string(row_[col], lengths_[col]);
  }

 private:
  Status Bad(const std::string& column, const std::string& what) const {
    return absl::DataLossError(
        StrCat(origin_, ": ", table_, " row id=", id_, ": column ", column, " ", what));
  }
  MYSQL_ROW row_;
  unsigned long* lengths_;
  std::string table_, origin_;
  int64_t id_ = 0;
};

class Session {
 public:
  Session(MYSQL* conn, const MysqlDsn& dsn, std::string origin)
      : conn_(conn), dsn_(dsn), origin_(std::move(origin)) {}

  Status Exec(const std::string& sql, const std::string& doing) {
    if (mysql_real_query(conn_, sql.data(), sql.size()) != 0) return MapError(conn_, dsn_, doing);
    return Status();
  }
  unsigned int LastErrno() const { return mysql_errno(conn_); }

  Status Select(const std::string& table, const char* columns, unsigned int count,
                const std::function<Status(Row&)>& on_row) {
    const std::string doing = StrCat("reading table ", table);
    RETURN_IF_ERROR(Exec(StrCat("SELECT ", columns, " FROM `", table, "` ORDER BY id"), doing));
    std::unique_ptr<MYSQL_RES, ResultFreer> res(mysql_store_result(conn_));
    if (!res) return MapError(conn_, dsn_, doing);
    if (mysql_num_fields(res.get()) != count) {
      return absl::InternalError(StrCat(origin_, ": ", doing, ": unexpected column count"));
    }
    while (MYSQL_ROW raw = mysql_fetch_row(res.get())) {
      Row row(raw, mysql_fetch_lengths(res.get()), table, origin_);
      RETURN_IF_ERROR(row.Start());
      RETURN_IF_ERROR(on_row(row));
    }
    if (mysql_errno(conn_) != 0) return MapError(conn_, dsn_, doing);
    return Status();
  }

 private:
  MYSQL* conn_;
  const MysqlDsn& dsn_;
  std::string origin_;
};

}  // namespace

Result<Milvus1xMeta> ReadMysqlMeta(const MysqlDsn& dsn) {
  const std::string origin = StrCat("MySQL ", dsn.Redacted());
  ASSIGN_OR_RETURN(const int64_t connect_ms,
                   MysqlDsnDurationMs(dsn, "timeout", kDefaultConnectTimeoutMs));
  ASSIGN_OR_RETURN(const int64_t read_ms, MysqlDsnDurationMs(dsn, "readTimeout", kDefaultIoTimeoutMs));
  ASSIGN_OR_RETURN(const int64_t write_ms,
                   MysqlDsnDurationMs(dsn, "writeTimeout", kDefaultIoTimeoutMs));

  // The library's global setup is not thread-safe; mysql_init would otherwise do it lazily.
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });

  std::unique_ptr<MYSQL, MysqlCloser> conn(mysql_init(nullptr));
  if (!conn) return absl::ResourceExhaustedError("MySQL client: mysql_init failed (out of memory)");
  // Go's timeout=0 means no timeout; so does 0 here.
  const unsigned int connect_s = Seconds(connect_ms), read_s = Seconds(read_ms),
                     write_s = Seconds(write_ms);
  RETURN_IF_ERROR(SetOption(conn.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_s, "timeout"));
  RETURN_IF_ERROR(SetOption(conn.get(), MYSQL_OPT_READ_TIMEOUT, &read_s, "readTimeout"));
  RETURN_IF_ERROR(SetOption(conn.get(), MYSQL_OPT_WRITE_TIMEOUT, &write_s, "writeTimeout"));
  // tcp(localhost) means TCP in the Go driver, while the C client would take the socket.
  const unsigned int protocol = dsn.protocol == "unix" ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
  RETURN_IF_ERROR(SetOption(conn.get(), MYSQL_OPT_PROTOCOL, &protocol, "protocol"));
  RETURN_IF_ERROR(SetOption(conn.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4", "charset"));
  RETURN_IF_ERROR(SetTls(conn.get(), dsn));

  const bool unix_socket = dsn.protocol == "unix";
  if (mysql_real_connect(conn.get(), unix_socket ? "localhost" : dsn.host.c_str(),
                         dsn.user.c_str(), dsn.password.c_str(), dsn.database.c_str(),
                         unix_socket ? 0 : static_cast<unsigned int>(dsn.port),
                         unix_socket ? dsn.socket.c_str() : nullptr, 0) == nullptr) {
    return MapError(conn.get(), dsn, "connecting");
  }

  Session session(conn.get(), dsn, origin);
  // One snapshot for both tables, so a 1.x server writing meanwhile cannot pair one
  // moment's Tables with another's TableFiles. READ ONLY needs MySQL 5.6.5 / MariaDB 10.0.
  Status begun = session.Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
                              "starting a read-only transaction");
  if (!begun.ok() && session.LastErrno() == ER_PARSE_ERROR) {
    begun = session.Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT", "starting a transaction");
  }
  RETURN_IF_ERROR(begun);

  std::vector<Milvus1xTableRow> tables;
  RETURN_IF_ERROR(session.Select("Tables", kTableColumns, 9, [&](Row& row) -> Status {
    Milvus1xTableRow r;
    ASSIGN_OR_RETURN(r.table_id, row.Text(1, "table_id"));
    ASSIGN_OR_RETURN(const int64_t state, row.Int(2, "state", kI32Min, kI32Max));
    ASSIGN_OR_RETURN(r.dimension, row.Int(3, "dimension", kI64Min, kI64Max));
    ASSIGN_OR_RETURN(const int64_t metric, row.Int(4, "metric_type", kI32Min, kI32Max));
    ASSIGN_OR_RETURN(const int64_t engine, row.Int(5, "engine_type", kI32Min, kI32Max));
    ASSIGN_OR_RETURN(r.index_params, row.Text(6, "index_params"));
    ASSIGN_OR_RETURN(r.owner_table, row.Text(7, "owner_table"));
    ASSIGN_OR_RETURN(r.partition_tag, row.Text(8, "partition_tag"));
    r.state = static_cast<int32_t>(state);
    r.metric_type = static_cast<int32_t>(metric);
    r.engine_type = static_cast<int32_t>(engine);
    tables.push_back(std::move(r));
    return Status();
  }));
  std::vector<Milvus1xFileRow> files;
  RETURN_IF_ERROR(session.Select("TableFiles", kFileColumns, 7, [&](Row& row) -> Status {
    Milvus1xFileRow r;
    ASSIGN_OR_RETURN(r.table_id, row.Text(1, "table_id"));
    ASSIGN_OR_RETURN(r.segment_id, row.Text(2, "segment_id"));
    ASSIGN_OR_RETURN(r.file_id, row.Text(3, "file_id"));
    ASSIGN_OR_RETURN(const int64_t type, row.Int(4, "file_type", kI32Min, kI32Max));
    ASSIGN_OR_RETURN(r.file_size, row.Int(5, "file_size", kI64Min, kI64Max));
    ASSIGN_OR_RETURN(r.row_count, row.Int(6, "row_count", kI64Min, kI64Max));
    r.file_type = static_cast<int32_t>(type);
    files.push_back(std::move(r));
    return Status();
  }));
  RETURN_IF_ERROR(session.Exec("COMMIT", "ending the transaction"));
  return BuildMilvus1xMeta(tables, files, origin);
}

}  // namespace mm
