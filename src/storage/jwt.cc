#include "storage/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/strings/escaping.h"

namespace mm::jwt {

std::string Base64UrlEncode(std::string_view bytes) {
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));  // no padding
}

Result<std::string> SignRs256(std::string_view signing_input, std::string_view private_key_pem,
                              std::string_view key_origin) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())),
      &BIO_free);
  if (bio == nullptr) return absl::ResourceExhaustedError("BIO_new_mem_buf failed");
  // PEM_read_bio_PrivateKey reads both PKCS#8 and the traditional PKCS#1 form.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(key_origin, ": the private key is not a PEM private key"));
  }
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(
        StrCat(key_origin, ": the private key is not an RSA key (RS256 needs one)"));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                             &EVP_MD_CTX_free);
  size_t length = 0;
  // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 means.
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError(StrCat(key_origin, ": RS256 signing could not start"));
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError(StrCat(key_origin, ": RS256 signing failed"));
  }
  signature.resize(length);
  return Base64UrlEncode(signature);
}

Result<std::string> EncodeRs256(std::string_view header_json, std::string_view payload_json,
                                std::string_view private_key_pem,
                                std::string_view key_origin) {
  std::string input =
      StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  ASSIGN_OR_RETURN(std::string signature, SignRs256(input, private_key_pem, key_origin));
  return StrCat(input, ".", signature);
}

}  // namespace mm::jwt
