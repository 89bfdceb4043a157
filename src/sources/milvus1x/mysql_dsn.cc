#include "sources/milvus1x/mysql_dsn.h"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

#include "core/redact.h"

namespace mm {
namespace {

constexpr int kDefaultPort = 3306;
constexpr const char* kExpected = "expected user:password@tcp(host:port)/dbname";

Status Malformed(const std::string& what) {
  return absl::InvalidArgumentError(StrCat("MySQL DSN: ", what, " (", kExpected, ")"));
}

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address (Go's net.SplitHostPort
// rejects that, and the driver then appends the default port).
Status ParseTcpAddress(const std::string& addr, MysqlDsn& out) {
  std::string host = addr, port;
  if (!addr.empty() && addr.front() == '[') {
    const size_t close = addr.find(']');
    if (close == std::string::npos) {
      return Malformed(StrCat("address '", addr, "' opens '[' without ']'"));
    }
    host = addr.substr(1, close - 1);
    const std::string rest = addr.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Malformed(StrCat("address '", addr, "' has text after ']'"));
      port = rest.substr(1);
    }
  } else {
    const size_t colon = addr.rfind(':');
    if (colon != std::string::npos && addr.find(':') == colon) {
      host = addr.substr(0, colon);
      port = addr.substr(colon + 1);
    }
  }
  if (host.empty()) return Malformed(StrCat("address '", addr, "' has no host"));
  out.host = host;
  out.port = kDefaultPort;
  if (!port.empty() || (addr.size() > host.size() && addr.back() == ':')) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return Malformed(StrCat("port '", port, "' in address '", addr, "' is not 1..65535"));
    }
    out.port = value;
  }
  return Status();
}

}  // namespace

std::string MysqlDsn::Redacted() const {
  std::string out = user;
  if (!password.empty()) out += ":***";
  out += "@";
  if (protocol == "unix") {
    out += StrCat("unix(", socket, ")");
  } else if (host.find(':') != std::string::npos) {
    out += StrCat(protocol, "([", host, "]:", port, ")");
  } else {
    out += StrCat(protocol, "(", host, ":", port, ")");
  }
  out += "/" + database;
  char sep = '?';
  for (const auto& [k, v] : params) {
    out += StrCat(sep, k, "=", IsSecretParameter(k) ? std::string(kRedacted) : v);
    sep = '&';
  }
  return out;
}

// The layout is the Go driver's: [user[:password]@][net[(addr)]]/dbname[?params]. As there,
// the database starts after the LAST '/', the credentials end at the last '@' before it and
// the user at the first ':', so a password may hold ':', '@' and '/'. Nothing is
// percent-decoded, as the driver does not decode user or password either.
Result<MysqlDsn> ParseMysqlDsn(const std::string& dsn) {
  const size_t slash = dsn.rfind('/');
  if (slash == std::string::npos) return Malformed("no '/' before the database name");

  MysqlDsn out;
  std::string net, addr;
  const std::string left = dsn.substr(0, slash);
  // A '?' after the credentials and the address means the last '/' was in a parameter.
  const size_t last_at = left.rfind('@'), last_paren = left.rfind(')');
  size_t tail = 0;
  if (last_at != std::string::npos) tail = last_at;
  if (last_paren != std::string::npos && last_paren > tail) tail = last_paren;
  if (left.find('?', tail) != std::string::npos) {
    return Malformed("a parameter value holds '/'; write it as %2F, as the Go driver requires");
  }
  const size_t at = left.rfind('@');
  std::string location = left;
  if (at != std::string::npos) {
    const std::string credentials = left.substr(0, at);
    const size_t colon = credentials.find(':');
    out.user = credentials.substr(0, colon);
    if (colon != std::string::npos) out.password = credentials.substr(colon + 1);
    location = left.substr(at + 1);
  }
  // From here on nothing before the '@' is quoted in a message: it may hold the password.
  const size_t paren = location.find('(');
  if (paren == std::string::npos) {
    net = location;
  } else {
    if (location.back() != ')') {
      return Malformed("the address after '(' has no closing ')' right before the '/'");
    }
    net = location.substr(0, paren);
    addr = location.substr(paren + 1, location.size() - paren - 2);
  }
  if (net.empty() || net == "tcp" || net == "tcp4" || net == "tcp6") {
    out.protocol = "tcp";
    if (addr.empty()) addr = StrCat("127.0.0.1:", kDefaultPort);
    RETURN_IF_ERROR(ParseTcpAddress(addr, out));
  } else if (net == "unix") {
    out.protocol = "unix";
    out.host = "localhost";
    out.port = 0;
    out.socket = addr.empty() ? "/tmp/mysql.sock" : addr;
  } else {
    // Not quoted: with a malformed DSN this part may be a piece of the password.
    return Malformed("the protocol before the address must be tcp or unix, as in tcp(host:port)");
  }

  std::string rest = dsn.substr(slash + 1);
  const size_t question = rest.find('?');
  out.database = rest.substr(0, question);
  if (out.database.empty()) return Malformed("no database name after the '/'");
  if (question != std::string::npos) {
    std::string_view query = std::string_view(rest).substr(question + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      // The Go driver skips a parameter without '='; so do we.
      if (eq != std::string_view::npos && eq > 0) {
        out.params[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  for (const char* param : {"timeout", "readTimeout", "writeTimeout"}) {
    RETURN_IF_ERROR(MysqlDsnDurationMs(out, param, 0).status());
  }
  return out;
}

// Go's time.ParseDuration grammar: [+]? ( number unit )+ , or "0"; number = digits with an
// optional fraction, units ns us µs ms s m h.
Result<int64_t> MysqlDsnDurationMs(const MysqlDsn& dsn, const std::string& param,
                                   int64_t default_ms) {
  auto it = dsn.params.find(param);
  if (it == dsn.params.end()) return default_ms;
  const std::string& text = it->second;
  auto bad = [&]() {
    return absl::InvalidArgumentError(
        StrCat("MySQL DSN: ", param, "=", text,
               " is not a duration; expected a Go duration such as 5s, 1m30s or 500ms"));
  };
  std::string_view s = text;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s == "0") return 0;
  if (s.empty()) return bad();
  long double ns = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += scale * (s[i] - '0');
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return bad();
    size_t j = i;
    while (j < s.size() && !(s[j] >= '0' && s[j] <= '9') && s[j] != '.') ++j;
    const std::string_view unit = s.substr(i, j - i);
    long double per;
    if (unit == "ns") {
      per = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      per = 1e3L;
    } else if (unit == "ms") {
      per = 1e6L;
    } else if (unit == "s") {
      per = 1e9L;
    } else if (unit == "m") {
      per = 60e9L;
    } else if (unit == "h") {
      per = 3600e9L;
    } else {
      return bad();
    }
    ns += value * per;
    s.remove_prefix(j);
  }
  // Go's Duration is int64 nanoseconds.
  if (ns > 9.2e18L) return bad();
  return static_cast<int64_t>(std::ceil(ns / 1e6L));
}

}  // namespace mm
