#include "sources/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <cstring>

#include "absl/strings/str_replace.h"

namespace mm {
namespace {

// The password of a URI DSN, "scheme://user:PASSWORD@host...", or "".
std::string UriPassword(const std::string& dsn) {
  const size_t scheme = dsn.find("://");
  if (scheme == std::string::npos) return "";
  const size_t at = dsn.rfind('@');
  const size_t colon = dsn.find(':', scheme + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return "";
  return dsn.substr(colon + 1, at - colon - 1);
}

// The password never reaches a message, even if libpq quoted a DSN fragment holding it.
std::string Scrub(std::string text, const PgConnectionConfig& c) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (const std::string& secret : {c.password, UriPassword(c.dsn)}) {
    if (!secret.empty()) absl::StrReplaceAll({{secret, "***"}}, &text);
  }
  return text;
}

// SQLSTATE classes to our codes.
absl::StatusCode CodeOf(const char* sqlstate) {
  if (sqlstate == nullptr) return absl::StatusCode::kUnavailable;
  const std::string s(sqlstate);
  if (s == "42P01" || s == "42703" || s == "3F000") return absl::StatusCode::kNotFound;
  if (s.rfind("28", 0) == 0 || s == "42501") return absl::StatusCode::kPermissionDenied;
  if (s.rfind("08", 0) == 0 || s.rfind("57", 0) == 0 || s == "53300") {
    return absl::StatusCode::kUnavailable;
  }
  if (s.rfind("42", 0) == 0 || s.rfind("22", 0) == 0) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

}  // namespace

PgResult::PgResult(PGresult* res) : res_(res) {}
PgResult::~PgResult() {
  if (res_ != nullptr) PQclear(res_);
}
PgResult::PgResult(PgResult&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
int PgResult::rows() const { return PQntuples(res_); }
int PgResult::columns() const { return PQnfields(res_); }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
std::string PgResult::Get(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col)));
}

PgConnection::PgConnection(PGconn* conn, std::string description)
    : conn_(conn), description_(std::move(description)) {}

PgConnection::~PgConnection() {
  if (copy_buf_ != nullptr) PQfreemem(copy_buf_);
  PQfinish(conn_);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectionConfig& c) {
  // The DSN first (expand_dbname), then the separate keys, which override it.
  std::vector<const char*> keys;
  std::vector<const char*> values;
  const std::string port = c.port > 0 ? std::to_string(c.port) : "";
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  add("dbname", c.dsn);
  add("host", c.host);
  add("port", port);
  add("user", c.user);
  add("password", c.password);
  if (!c.dsn.empty() && !c.dbname.empty()) {
    keys.push_back("dbname");
    values.push_back(c.dbname.c_str());
  } else {
    add("dbname", c.dbname);
  }
  add("sslmode", c.sslmode);
  add("application_name", "milvus-migration");
  add("connect_timeout", "30");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  if (!c.dsn.empty()) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(c.dsn.c_str(), &err);
    if (opts == nullptr) {
      std::string msg = err != nullptr ? Scrub(err, c) : "out of memory";
      if (err != nullptr) PQfreemem(err);
      return absl::InvalidArgumentError(
          StrCat("[source.postgres.dsn] libpq cannot parse it: ", msg));
    }
    PQconninfoFree(opts);
  }
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("postgres: out of memory");
  auto where = [&] {
    return StrCat(PQuser(conn) ? PQuser(conn) : "", "@", PQhost(conn) ? PQhost(conn) : "", ":",
                  PQport(conn) ? PQport(conn) : "", "/", PQdb(conn) ? PQdb(conn) : "");
  };
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string msg = Scrub(PQerrorMessage(conn), c);
    const std::string desc = where();
    PQfinish(conn);
    const bool auth = msg.find("password authentication failed") != std::string::npos ||
                      msg.find("no password supplied") != std::string::npos ||
                      msg.find("authentication failed") != std::string::npos;
    if (auth) {
      return absl::UnauthenticatedError(StrCat(
          "postgres: ", desc, " refused the credentials (check source.postgres.user and "
          "password, or the DSN's): ", msg));
    }
    return absl::UnavailableError(StrCat("postgres: cannot connect to ", desc, ": ", msg));
  }
  std::string desc = where();
  auto out = std::unique_ptr<PgConnection>(new PgConnection(conn, std::move(desc)));
  // Binary values are decoded as UTF-8 text and UTC instants whatever the server's defaults.
  RETURN_IF_ERROR(out->Exec("postgres: setting up the session",
                            "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
                            "SET extra_float_digits = 3"));
  return out;
}

Status PgConnection::ServerError(std::string_view what, PGresult* res) const {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return absl::Status(CodeOf(state), StrCat(what, ": ", msg));
}

Result<PgResult> PgConnection::Query(std::string_view what, const std::string& sql,
                                     const std::vector<std::string>& params) {
  std::vector<const char*> p;
  p.reserve(params.size());
  for (const auto& s : params) p.push_back(s.c_str());
  PGresult* res = params.empty()
                      ? PQexec(conn_, sql.c_str())
                      : PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr,
                                     p.data(), nullptr, nullptr, 0);
  PgResult owned(res);
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return ServerError(what, res);
  return owned;
}

Result<std::vector<PgConnection::ColumnShape>> PgConnection::Describe(std::string_view what,
                                                                     const std::string& sql) {
  {
    PGresult* prep = PQprepare(conn_, "", sql.c_str(), 0, nullptr);
    PgResult owned(prep);
    if (prep == nullptr || PQresultStatus(prep) != PGRES_COMMAND_OK) {
      return ServerError(what, prep);
    }
  }
  {
    PGresult* res = PQdescribePrepared(conn_, "");
    PgResult owned(res);
    if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) return ServerError(what, res);
    std::vector<ColumnShape> out;
    for (int i = 0; i < PQnfields(res); ++i) {
      out.push_back(ColumnShape{PQfname(res, i), PQftype(res, i), PQfmod(res, i)});
    }
    return out;
  }
}

std::string PgConnection::QuoteLiteral(std::string_view value) const {
  char* q = PQescapeLiteral(conn_, value.data(), value.size());
  if (q == nullptr) return "NULL";
  std::string out(q);
  PQfreemem(q);
  return out;
}

Status PgConnection::StartCopy(std::string_view what, const std::string& copy_sql) {
  PGresult* res = PQexec(conn_, copy_sql.c_str());
  PgResult owned(res);
  if (res == nullptr || PQresultStatus(res) != PGRES_COPY_OUT) return ServerError(what, res);
  return absl::OkStatus();
}

Result<bool> PgConnection::ReadCopy(std::string_view what, std::string_view* chunk) {
  if (copy_buf_ != nullptr) {
    PQfreemem(copy_buf_);
    copy_buf_ = nullptr;
  }
  const int n = PQgetCopyData(conn_, &copy_buf_, /*async=*/0);
  if (n > 0) {
    *chunk = std::string_view(copy_buf_, static_cast<size_t>(n));
    return true;
  }
  if (n == -2) return ServerError(what, nullptr);
  // -1: the COPY is over; its final result says whether it went well.
  Status status = absl::OkStatus();
  while (PGresult* res = PQgetResult(conn_)) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && status.ok()) status = ServerError(what, res);
    PQclear(res);
  }
  RETURN_IF_ERROR(status);
  return false;
}

}  // namespace mm
