#include "storage/azure_shared_key.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <vector>

namespace mm::azure {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims both ends and folds inner runs of whitespace to one space.
std::string Fold(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// The value of the standard header `name` (lower case), or "".
std::string StandardHeader(const KeyValues& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (Lower(k) == name) return v;
  }
  return "";
}

}  // namespace

std::string CanonicalizedHeaders(const KeyValues& headers) {
  std::vector<std::pair<std::string, std::string>> ms;
  for (const auto& [name, value] : headers) {
    std::string lower = Lower(name);
    if (lower.rfind("x-ms-", 0) == 0) ms.emplace_back(std::move(lower), Fold(value));
  }
  std::stable_sort(ms.begin(), ms.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [name, value] : ms) out += StrCat(name, ":", value, "\n");
  return out;
}

std::string CanonicalizedResource(std::string_view account, std::string_view encoded_path,
                                  const KeyValues& query) {
  std::string out = StrCat("/", account, encoded_path.empty() ? "/" : encoded_path);
  std::map<std::string, std::vector<std::string>> params;  // sorted by name
  for (const auto& [name, value] : query) params[Lower(name)].push_back(value);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    out += StrCat("\n", name, ":");
    for (size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ",") + values[i];
  }
  return out;
}

std::string StringToSign(const SignedRequest& r, std::string_view account) {
  const KeyValues& h = r.headers;
  std::string out = r.method + "\n";
  out += StandardHeader(h, "content-encoding") + "\n";
  out += StandardHeader(h, "content-language") + "\n";
  out += (r.content_length == 0 ? std::string() : std::to_string(r.content_length)) + "\n";
  out += StandardHeader(h, "content-md5") + "\n";
  out += StandardHeader(h, "content-type") + "\n";
  out += StandardHeader(h, "date") + "\n";
  out += StandardHeader(h, "if-modified-since") + "\n";
  out += StandardHeader(h, "if-match") + "\n";
  out += StandardHeader(h, "if-none-match") + "\n";
  out += StandardHeader(h, "if-unmodified-since") + "\n";
  out += StandardHeader(h, "range") + "\n";
  out += CanonicalizedHeaders(h);
  out += CanonicalizedResource(account, r.encoded_path, r.query);
  return out;
}

std::string Signature(std::string_view key, std::string_view string_to_sign) {
  return Base64Encode(sigv4::HmacSha256(key, string_to_sign));
}

std::string AuthorizationHeader(const SignedRequest& request, std::string_view account,
                                std::string_view key) {
  return StrCat("SharedKey ", account, ":", Signature(key, StringToSign(request, account)));
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> DecodeAccountKey(std::string_view base64, std::string_view origin) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("[", origin, "] is not an Azure storage account key (", why,
               "); give the account's access key as the portal shows it (base64), or a SAS "
               "token (sv=...&sig=...)"));
  };
  std::string_view s = base64;
  if (s.empty()) return bad("it is empty");
  if (s.size() % 4 != 0) return bad("its length is not a multiple of 4");
  // EVP_DecodeBlock refuses characters outside the alphabet but decodes padding as zero
  // bytes, which are cut off below.
  std::string out(3 * (s.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return bad("it holds characters outside base64");
  size_t padding = 0;
  if (s.back() == '=') ++padding;
  if (s.size() >= 2 && s[s.size() - 2] == '=') ++padding;
  if (s.substr(0, s.size() - padding).find('=') != std::string_view::npos) {
    return bad("'=' appears before its end");
  }
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string HttpDate(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  // Names by hand: strftime's %a and %b follow the locale.
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

bool IsSasToken(std::string_view text) {
  if (!text.empty() && text.front() == '?') text.remove_prefix(1);
  auto has = [&](std::string_view name) {
    size_t at = 0;
    while ((at = text.find(name, at)) != std::string_view::npos) {
      if (at == 0 || text[at - 1] == '&') return true;
      at += name.size();
    }
    return false;
  };
  return has("sv=") && has("sig=");
}

}  // namespace mm::azure
