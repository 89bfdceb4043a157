// Keeps credentials out of everything the tool prints or stores: log lines, error messages,
// manifest.json. Every URL, endpoint and DSN passes through one of these before it reaches
// a message or a file; the connection itself keeps using the original.
//
// What counts as a secret here: a URL's whole userinfo (its user part may be a token or an
// S3 access key, not only a name), a MySQL DSN's password, and the value of
// any query parameter whose name suggests a credential (token, secret, password, key,
// signature, credential, auth, session, ...). Hosts, ports, paths, user names and the other
// parameters stay, so messages still say where a failure happened (a DSN keeps its user,
// which MySQL's refusals name anyway).
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace mm {

// The mask that replaces a secret.
inline constexpr std::string_view kRedacted = "***";

// A URL or endpoint with its secrets masked. Accepts "scheme://[user[:password]@]host[:port]
// [/path][?query][#fragment]" and the same without a scheme ("user:pw@host:9200",
// "host:19530"). The userinfo ends at the LAST '@' of the text, so a password holding '@',
// '/' or '?' unencoded is masked whole (at worst more than the userinfo is masked, never
// less). A text with no secret comes back unchanged, so redacted identities (a manifest's
// source_id) stay equal to older unredacted ones that held no secret.
//   "http://elastic:pw@es:9200"     -> "http://***@es:9200"
//   "https://tok3n@host"            -> "https://***@host"
//   "http://h/x?token=abc&pretty=1" -> "http://h/x?token=***&pretty=1"
std::string RedactUrl(std::string_view url);

// A Go MySQL driver DSN, "user:password@tcp(host:port)/db?params", with the password (and
// credential-like parameters) masked: "user:***@tcp(host:port)/db?params". As the driver
// does, the credentials end at the last '@' before the last '/'. Text without '@' is
// returned with only its parameters checked.
std::string RedactMysqlDsn(std::string_view dsn);

// Free text (a third party's error message, a stored identity) with every URL in it
// ("scheme://...", up to the next whitespace or quote) passed through RedactUrl and every
// DSN-shaped word ("...@tcp(...)...", "...@unix(...)...") through RedactMysqlDsn.
std::string RedactText(std::string_view text);

// True when a query parameter of this name (any case) carries a credential: its name holds
// token, secret, pass, pwd, key, sig, credential, auth, session or jwt.
bool IsSecretParameter(std::string_view name);

}  // namespace mm
