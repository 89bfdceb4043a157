// JSON Web Tokens signed with RS256 (RFC 7515 / RFC 7518 3.3: RSASSA-PKCS1-v1_5 with
// SHA-256), as Google's OAuth2 service-account flow asks for (RFC 7523). Signing only: the
// token goes to the token endpoint, which checks it. Pure functions over OpenSSL; no clock
// (callers pass the times), so each step is testable against RFC 7515's examples.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mm::jwt {

// Base64url without padding (RFC 7515 section 2).
std::string Base64UrlEncode(std::string_view bytes);

// The RS256 signature of `signing_input` (ASCII "header.payload"), base64url-encoded.
// `private_key_pem` is a PKCS#8 ("BEGIN PRIVATE KEY", as Google's JSON key files hold) or
// PKCS#1 ("BEGIN RSA PRIVATE KEY") RSA key. InvalidArgument naming `key_origin` (never the
// key) when it does not parse or is not RSA.
Result<std::string> SignRs256(std::string_view signing_input, std::string_view private_key_pem,
                              std::string_view key_origin);

// A whole token "header.payload.signature" for the given JSON header and payload texts,
// encoded byte for byte as given.
Result<std::string> EncodeRs256(std::string_view header_json, std::string_view payload_json,
                                std::string_view private_key_pem,
                                std::string_view key_origin);

}  // namespace mm::jwt
