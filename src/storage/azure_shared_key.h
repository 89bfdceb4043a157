// Azure Storage Shared Key authorization (Blob service, version 2009-09-19 and later) as pure
// functions: the canonicalized headers and resource, the string to sign, the signature and
// the Authorization header. No I/O, no clock: callers pass the date, so each step is tested
// against the examples of Microsoft's "Authorize with Shared Key" page. Thread-safe.
//
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/sigv4.h"

namespace mm::azure {

using KeyValues = sigv4::KeyValues;

// One request as the signer sees it.
struct SignedRequest {
  std::string method;        // "GET", "PUT", "HEAD", "DELETE"
  // The URL's path exactly as sent (percent-encoded), e.g. "/mycontainer/myblob"; for the
  // emulator's path-style URLs it starts with the account: "/devstoreaccount1/c/b".
  std::string encoded_path;
  KeyValues query;           // raw (unencoded) names and values
  // Every header sent, names in any case: the standard ones the string to sign names
  // (Content-Type, If-Match, Range, ...) and the x-ms-* ones (x-ms-date, x-ms-version).
  KeyValues headers;
  uint64_t content_length = 0;  // the body's size; 0 signs as an empty line
};

// "name:value\n" for every x-ms-* header: names lower-cased and sorted, values with their
// ends trimmed and inner runs of whitespace folded to one space.
std::string CanonicalizedHeaders(const KeyValues& headers);
// "/<account><encoded_path>" then, per query parameter sorted by lower-cased name,
// "\n<name>:<value>" with the raw value (several values of one name sorted, joined by ',').
std::string CanonicalizedResource(std::string_view account, std::string_view encoded_path,
                                  const KeyValues& query);
// VERB, the eleven standard header lines (Content-Length empty when 0, Date empty since
// x-ms-date is sent), the canonicalized headers and the canonicalized resource.
std::string StringToSign(const SignedRequest& request, std::string_view account);
// Base64 of HMAC-SHA256(key, string_to_sign); `key` is the decoded account key.
std::string Signature(std::string_view key, std::string_view string_to_sign);
// "SharedKey <account>:<signature>".
std::string AuthorizationHeader(const SignedRequest& request, std::string_view account,
                                std::string_view key);

// The account key as given (base64) decoded to its bytes; InvalidArgument naming
// `origin` (never the key) when it is not base64.
Result<std::string> DecodeAccountKey(std::string_view base64, std::string_view origin);
std::string Base64Encode(std::string_view bytes);
// RFC 1123 in GMT, as x-ms-date wants: "Sun, 11 Oct 2009 21:49:13 GMT".
std::string HttpDate(std::time_t t);

// True when `text` is a shared access signature (the query of a SAS URL, with or without
// its '?'): it carries both a service version (sv=) and a signature (sig=).
bool IsSasToken(std::string_view text);

}  // namespace mm::azure
