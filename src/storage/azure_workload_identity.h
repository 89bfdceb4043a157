// Tokens for Azure Storage through workload identity federation (AKS workload identity): the
// pod's projected service-account token, read from AZURE_FEDERATED_TOKEN_FILE, is exchanged
// at Microsoft Entra ID for an access token (OAuth2 client credentials with a JWT client
// assertion):
//   POST <authority>/<tenant>/oauth2/v2.0/token
//   client_id, client_assertion=<file>, client_assertion_type=...jwt-bearer,
//   grant_type=client_credentials, scope=https://storage.azure.com/.default
// The file is read again for every token, as the kubelet rotates it. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/azure_client.h"

namespace mm {

struct WorkloadIdentityOptions {
  std::string authority = "https://login.microsoftonline.com";  // AZURE_AUTHORITY_HOST
  std::string tenant_id;                                        // AZURE_TENANT_ID
  std::string client_id;                                        // AZURE_CLIENT_ID
  std::string token_file;                                       // AZURE_FEDERATED_TOKEN_FILE
  int64_t timeout_ms = 10000;
};

// The options from the environment variables the AKS webhook sets; nullopt unless
// AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are all set.
std::optional<WorkloadIdentityOptions> WorkloadIdentityFromEnvironment();

// NotFound naming the token file when it cannot be read; Unavailable when the authority
// cannot be reached; PermissionDenied (with Entra's error description, never a token) when
// it refuses the exchange.
BearerTokenSource WorkloadIdentityTokenSource(WorkloadIdentityOptions options);

}  // namespace mm
