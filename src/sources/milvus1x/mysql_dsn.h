// The Go driver's MySQL DSN, as the Go tool's meta.mysqlUrl spells it:
//   user:password@tcp(host:port)/dbname?param=value&...
// (also user@unix(/path/to.sock)/db, and an omitted protocol part meaning tcp(127.0.0.1:3306)).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace mm {

struct MysqlDsn {
  std::string user;
  std::string password;
  std::string protocol = "tcp";  // tcp | unix
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;    // for unix
  std::string database;
  std::map<std::string, std::string> params;  // charset, parseTime, loc, timeout, ...

  // For messages: the DSN with the password (and credential-like parameters, see
  // core/redact.h) replaced by "***".
  std::string Redacted() const;
};

// InvalidArgument naming what is malformed (never echoing the password).
Result<MysqlDsn> ParseMysqlDsn(const std::string& dsn);

// A duration param of the DSN ("timeout", "readTimeout", "writeTimeout"), written as a Go
// duration ("5s", "1m30s", "500ms"), in milliseconds rounded up; `default_ms` when absent.
// InvalidArgument naming the param when it is not a non-negative Go duration.
Result<int64_t> MysqlDsnDurationMs(const MysqlDsn& dsn, const std::string& param,
                                   int64_t default_ms);

}  // namespace mm
