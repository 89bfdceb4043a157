#include "storage/sigv4.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace mm::sigv4 {
namespace {

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims both ends and collapses runs of spaces inside, as the canonical headers require.
std::string TrimCollapse(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// Lower-cased names with their cleaned values, sorted by name (stable: repeated names keep
// their order, which is the order their values are joined in).
KeyValues NormalizedHeaders(const KeyValues& headers) {
  KeyValues out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) out.emplace_back(Lower(name), TrimCollapse(value));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string EncodePath(std::string_view path) { return UriEncode(path, /*encode_slash=*/false); }

std::string CanonicalQueryString(const KeyValues& query) {
  KeyValues encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string SignedHeaders(const KeyValues& headers) {
  std::string out;
  std::string last;
  for (const auto& [name, value] : NormalizedHeaders(headers)) {
    if (!out.empty() && name == last) continue;
    if (!out.empty()) out.push_back(';');
    out += name;
    last = name;
  }
  return out;
}

std::string CanonicalHeaders(const KeyValues& headers) {
  std::string out;
  KeyValues normalized = NormalizedHeaders(headers);
  for (size_t i = 0; i < normalized.size(); ++i) {
    const std::string& name = normalized[i].first;
    if (i > 0 && normalized[i - 1].first == name) continue;
    out += name;
    out.push_back(':');
    for (size_t j = i; j < normalized.size() && normalized[j].first == name; ++j) {
      if (j > i) out.push_back(',');
      out += normalized[j].second;
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const Request& request) {
  std::string out;
  out += request.method;
  out.push_back('\n');
  out += request.canonical_uri.empty() ? "/" : request.canonical_uri;
  out.push_back('\n');
  out += CanonicalQueryString(request.query);
  out.push_back('\n');
  out += CanonicalHeaders(request.headers);
  out.push_back('\n');
  out += SignedHeaders(request.headers);
  out.push_back('\n');
  out += request.payload_sha256;
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.append(date).append("/").append(region).append("/").append(service).append(
      "/aws4_request");
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(amz_date).append("\n").append(scope).append("\n");
  out += Sha256Hex(canonical_request);
  return out;
}

std::string SigningKey(std::string_view secret_key, std::string_view date,
                       std::string_view region, std::string_view service) {
  std::string key = "AWS4";
  key.append(secret_key);
  std::string k_date = HmacSha256(key, date);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, "aws4_request");
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string AuthorizationHeader(std::string_view access_key, std::string_view scope,
                                std::string_view signed_headers, std::string_view signature) {
  std::string out = "AWS4-HMAC-SHA256 Credential=";
  out.append(access_key).append("/").append(scope);
  out.append(", SignedHeaders=").append(signed_headers);
  out.append(", Signature=").append(signature);
  return out;
}

std::string Authorize(const Request& request, std::string_view access_key,
                      std::string_view secret_key, std::string_view region,
                      std::string_view service, std::string_view amz_date) {
  std::string_view date = amz_date.substr(0, 8);
  std::string scope = CredentialScope(date, region, service);
  std::string to_sign = StringToSign(amz_date, scope, CanonicalRequest(request));
  std::string signature = Signature(SigningKey(secret_key, date, region, service), to_sign);
  return AuthorizationHeader(access_key, scope, SignedHeaders(request.headers), signature);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::string AmzDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace mm::sigv4
