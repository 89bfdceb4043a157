#include "sources/elasticsearch/es_endpoint.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "core/redact.h"

namespace mm {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> DecodeEsCloudId(const std::string& cloud_id) {
  const auto invalid = [](const std::string& why) {
    return absl::InvalidArgumentError(
        StrCat("[source.es.cloudId] is not an Elastic Cloud id (", why,
               "); expected <name>:<base64 of host$es-uuid$kibana-uuid>"));
  };
  size_t colon = cloud_id.find(':');
  std::string encoded = colon == std::string::npos ? cloud_id : cloud_id.substr(colon + 1);
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) {
    return invalid("its part after ':' is not base64");
  }
  std::vector<std::string> parts = absl::StrSplit(decoded, '$');
  if (parts.size() < 2 || parts[0].empty() || parts[1].empty()) {
    return invalid("the decoded text has no host$es-uuid");
  }
  std::string host = parts[0];
  std::string port;
  if (size_t p = host.rfind(':'); p != std::string::npos) {
    port = host.substr(p);
    host = host.substr(0, p);
  }
  if (port == ":443") port.clear();
  return StrCat("https://", parts[1], ".", host, port);
}

Result<std::vector<std::string>> EsBaseUrls(const EsConnectionConfig& connection) {
  std::vector<std::string> urls;
  for (const auto& url : connection.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(
          StrCat("[source.es.urls] '", RedactUrl(url), "' must start with http:// or https://"));
    }
    urls.push_back(Trim(url));
  }
  if (urls.empty() && !connection.cloud_id.empty()) {
    ASSIGN_OR_RETURN(std::string url, DecodeEsCloudId(connection.cloud_id));
    urls.push_back(url);
  }
  if (urls.empty()) {
    return absl::InvalidArgumentError("[source.es.urls] or [source.es.cloudId] must be set");
  }
  return urls;
}

std::string EsAuthorization(const EsConnectionConfig& connection) {
  if (!connection.api_key.empty()) {
    // "id:key" is the raw form; the encoded form has no ':' (base64 has none).
    if (connection.api_key.find(':') != std::string::npos) {
      return "ApiKey " + absl::Base64Escape(connection.api_key);
    }
    return "ApiKey " + connection.api_key;
  }
  if (!connection.service_token.empty()) {
    const std::string& t = connection.service_token;
    return t.rfind("Bearer ", 0) == 0 ? t : "Bearer " + t;
  }
  if (!connection.username.empty()) {
    return "Basic " + absl::Base64Escape(connection.username + ":" + connection.password);
  }
  return "";
}

Result<std::string> ParseEsFingerprint(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    if (HexValue(c) < 0) {
      return absl::InvalidArgumentError(
          "[source.es.fingerprint] must be the certificate's SHA-256 in hex (64 digits)");
    }
    digits.push_back(c);
  }
  if (digits.size() != 64) {
    return absl::InvalidArgumentError(StrCat("[source.es.fingerprint] has ", digits.size(),
                                             " hex digits; a SHA-256 has 64"));
  }
  std::string raw;
  for (size_t i = 0; i < 64; i += 2) {
    raw.push_back(static_cast<char>(HexValue(digits[i]) * 16 + HexValue(digits[i + 1])));
  }
  return raw;
}

}  // namespace mm
