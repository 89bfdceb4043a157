// AWS Signature Version 4 as pure functions: the canonical request, the string to sign,
// the signing key and the Authorization header, with S3's URI-encoding rules (paths are not
// double-encoded, '/' between key segments is kept). No I/O, no clock: callers pass the
// time, so every step is testable against AWS's published examples. Thread-safe.
//
// The steps and their order follow the public specification:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mm::sigv4 {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// One HTTP request as the signer sees it.
struct Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the encoded path, e.g. EncodePath("/bucket/a b.npy")
  KeyValues query;            // raw (unencoded) names and values; a name alone has ""
  KeyValues headers;          // names in any case; must include "host" and "x-amz-date"
  std::string payload_sha256; // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

// "Percent-encodes" every byte except A-Z a-z 0-9 - _ . ~ (and '/' unless encode_slash),
// with upper-case hex, as S3 requires.
std::string UriEncode(std::string_view s, bool encode_slash);
// An object path: each '/'-separated segment encoded, the slashes kept.
std::string EncodePath(std::string_view path);
// Names and values encoded, sorted by name then value, joined as a=b&c=d ("name=" for a
// name alone). The same string serves as the URL's query, so what is signed is what is sent.
std::string CanonicalQueryString(const KeyValues& query);
// Lower-case names, sorted, joined with ';'.
std::string SignedHeaders(const KeyValues& headers);
// "name:value\n" per header, names lower-cased and sorted, values trimmed with inner runs
// of spaces collapsed; repeated names joined with ','.
std::string CanonicalHeaders(const KeyValues& headers);
std::string CanonicalRequest(const Request& request);

// "20130524/us-east-1/s3/aws4_request"; `date` is YYYYMMDD.
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);
// `amz_date` is YYYYMMDDTHHMMSSZ.
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The raw 32-byte key derived from the secret; `date` is YYYYMMDD.
std::string SigningKey(std::string_view secret_key, std::string_view date,
                       std::string_view region, std::string_view service);
// Hex HMAC-SHA256 of the string to sign.
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);
std::string AuthorizationHeader(std::string_view access_key, std::string_view scope,
                                std::string_view signed_headers, std::string_view signature);

// All of the above: the value of the Authorization header for `request`.
// REQUIRES: request.headers holds x-amz-date equal to `amz_date`.
std::string Authorize(const Request& request, std::string_view access_key,
                      std::string_view secret_key, std::string_view region,
                      std::string_view service, std::string_view amz_date);

// Helpers shared with the S3 client.
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes
std::string HexEncode(std::string_view bytes);                         // lower case
std::string AmzDate(std::time_t t);                                    // YYYYMMDDTHHMMSSZ, UTC

}  // namespace mm::sigv4
