#include "milvus/endpoint.h"

#include <cctype>
#include <charconv>

namespace mm {
namespace {

Status BadEndpoint(std::string_view endpoint, std::string_view why) {
  return absl::InvalidArgumentError(
      StrCat("milvus endpoint '", endpoint, "': ", why,
             " (expected host:port, http://host:port or https://host:port)"));
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
