#include "core/redact.h"

#include <array>
#include <cctype>

namespace mm {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}


// "a=1&token=x;b" with the values of credential-like names masked.
std::string MaskQuery(std::string_view query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find_first_of("&;", start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && IsSecretParameter(pair.substr(0, eq))) {
      out += std::string(pair.substr(0, eq + 1)) + std::string(kRedacted);
    } else {
      out += std::string(pair);
    }
    if (end == query.size()) break;
    out.push_back(query[end]);
    start = end + 1;
  }
  return out;
}

// The text after the authority ("/path?query#fragment"), its query's secrets masked.
std::string MaskTail(std::string_view tail) {
  const size_t question = tail.find('?');
  if (question == std::string_view::npos) return std::string(tail);
  const size_t hash = tail.find('#', question);
  std::string_view query =
      tail.substr(question + 1, hash == std::string_view::npos ? std::string_view::npos
                                                                : hash - question - 1);
  std::string out(tail.substr(0, question + 1));
  out += MaskQuery(query);
  if (hash != std::string_view::npos) out += std::string(tail.substr(hash));
  return out;
}

// Where a word of free text ends: whitespace or a quote. A URL's password holding one of
// these is cut short there; the part before it is still masked.
bool EndsWord(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '"' || c == '`' ||
         c == '<' || c == '>';
}

}  // namespace

bool IsSecretParameter(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kMarkers = {
      "token", "secret", "pass", "pwd", "key", "sig", "credential", "auth", "session", "jwt"};
  const std::string lower = Lower(name);
  for (std::string_view marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

std::string RedactUrl(std::string_view url) {
  size_t authority = 0;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos && scheme_end > 0) {
    bool scheme = true;
    for (size_t i = 0; i < scheme_end; ++i) scheme &= IsSchemeChar(url[i]);
    if (scheme) authority = scheme_end + 3;
  }
  std::string out(url.substr(0, authority));
  std::string_view rest = url.substr(authority);
  // The last '@': a password may hold '@', '/', '?' or '#' unencoded.
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    // The user part goes too: it may be a token, or an S3 access key.
    out += std::string(kRedacted);
    out.push_back('@');
    rest.remove_prefix(at + 1);
  }
  const size_t path = rest.find_first_of("/?#");
  if (path == std::string_view::npos) return out + std::string(rest);
  out += std::string(rest.substr(0, path));
  out += MaskTail(rest.substr(path));
  return out;
}

std::string RedactMysqlDsn(std::string_view dsn) {
  const size_t slash = dsn.rfind('/');
  const size_t at = dsn.substr(0, slash == std::string_view::npos ? dsn.size() : slash)
                        .rfind('@');
  std::string out;
  std::string_view rest = dsn;
  if (at != std::string_view::npos) {
    // The Go driver's user is never a token: keep it, mask from its ':' on.
    const std::string_view credentials = dsn.substr(0, at);
    const size_t colon = credentials.find(':');
    out = colon == std::string_view::npos
              ? std::string(credentials)
              : std::string(credentials.substr(0, colon + 1)) + std::string(kRedacted);
    out.push_back('@');
    rest.remove_prefix(at + 1);
  }
  // Parameters start at the first '?' after the database's '/'.
  const size_t db = rest.rfind('/');
  const size_t question = rest.find('?', db == std::string_view::npos ? 0 : db);
  if (question == std::string_view::npos) return out + std::string(rest);
  out += std::string(rest.substr(0, question + 1));
  out += MaskQuery(rest.substr(question + 1));
  return out;
}

std::string RedactText(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (EndsWord(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && !EndsWord(text[end])) ++end;
    std::string_view word = text.substr(i, end - i);
    if (word.find("://") != std::string_view::npos) {
      // The URL may follow other text in the word ("at=http://...", "(http://..."):
      // keep what precedes its scheme as it is.
      size_t start = word.find("://");
      while (start > 0 && IsSchemeChar(word[start - 1])) --start;
      out += std::string(word.substr(0, start));
      out += RedactUrl(word.substr(start));
    } else if (word.find('@') != std::string_view::npos &&
               (word.find("@tcp") != std::string_view::npos ||
                word.find("@unix(") != std::string_view::npos)) {
      out += RedactMysqlDsn(word);
    } else {
      out += std::string(word);
    }
    i = end;
  }
  return out;
}

}  // namespace mm
