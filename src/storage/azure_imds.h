// Managed identity tokens for Azure Storage from the Instance Metadata Service (IMDS), the
// endpoint every Azure VM, VM scale set and AKS node answers on 169.254.169.254:
//   GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/
//   Metadata: true
// answered with JSON {"access_token": ..., "expires_on": "<epoch seconds>", ...}.
// Thread-safe (each fetch uses its own curl handle).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/azure_client.h"

namespace mm {

struct ImdsOptions {
  // The IMDS base URL. The Azure SDKs read AZURE_POD_IDENTITY_AUTHORITY_HOST to point it
  // elsewhere (pod identity); so does ImdsOptionsFromEnvironment.
  std::string endpoint = "http://169.254.169.254";
  // A user-assigned identity's client id (AZURE_CLIENT_ID); empty for the system identity.
  std::string client_id;
  int64_t timeout_ms = 10000;
};

ImdsOptions ImdsOptionsFromEnvironment();

// The token in an IMDS answer; DataLoss naming the missing field (never the token) when the
// answer is not one.
Result<BearerToken> ParseImdsToken(std::string_view json);

// A token source asking `options.endpoint`; Unavailable (naming the endpoint) when IMDS
// cannot be reached, PermissionDenied when it refuses (no identity assigned).
BearerTokenSource ImdsTokenSource(ImdsOptions options);

}  // namespace mm
