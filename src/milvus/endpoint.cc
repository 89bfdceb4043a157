#include "milvus/endpoint.h"

#include <cctype>
#include <charconv>

#include "core/redact.h"

namespace mm {
namespace {

Status BadEndpoint(std::string_view endpoint, std::string_view why) {
  return absl::InvalidArgumentError(
      StrCat("milvus endpoint '", RedactUrl(endpoint), "': ", why,
             " (expected host:port, http://host:port or https://host:port)"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%40" -> "@"; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<MilvusEndpoint> ParseMilvusEndpoint(std::string_view endpoint) {
  std::string_view rest = endpoint;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty()) return BadEndpoint(endpoint, "empty");

  MilvusEndpoint out;
  int default_port = 19530;
  if (size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    std::string scheme(rest.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "https") {
      out.tls = true;
      default_port = 443;
    } else if (scheme != "http" && scheme != "tcp" && scheme != "grpc") {
      return BadEndpoint(endpoint, StrCat("unsupported scheme '", scheme, "'"));
    }
    rest.remove_prefix(scheme_end + 3);
  }
  // Credentials in the endpoint: the last '@' ends them, so a password may hold '@'.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    out.username = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out.password = PercentDecode(userinfo.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return BadEndpoint(endpoint, "has a path");

  std::string_view host;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return BadEndpoint(endpoint, "unclosed '['");
    host = rest.substr(0, close + 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadEndpoint(endpoint, "junk after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return BadEndpoint(endpoint, "empty port");
    }
  } else {
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      if (rest.find(':') != colon) return BadEndpoint(endpoint, "IPv6 hosts need [brackets]");
      host = rest.substr(0, colon);
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return BadEndpoint(endpoint, "empty port");
    } else {
      host = rest;
    }
  }
  if (host.empty() || host == "[]") return BadEndpoint(endpoint, "no host");

  int port = default_port;
  if (!port_text.empty()) {
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return BadEndpoint(endpoint, StrCat("bad port '", port_text, "'"));
    }
  }
  out.target = StrCat(host, ":", port);
  return out;
}

}  // namespace mm
