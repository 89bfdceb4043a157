// What `useIAM: true` means on each cloud: temporary credentials fetched from the cloud's
// identity service, wrapped in a RefreshingCredentialProvider so they are fetched again
// before they expire.
//
//   aws: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) when set; else web
//        identity (EKS IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, exchanged at STS
//        AssumeRoleWithWebIdentity); else the EC2 instance role through IMDSv2.
//   gcp: GOOGLE_APPLICATION_CREDENTIALS naming a service-account JSON key (a JWT signed RS256,
//        exchanged at the key's token_uri); else the GCE/GKE metadata server. A bearer token.
//   ali: the ECS instance RAM role from the ECS metadata service (an STS key and token).
//
// The services' addresses can be moved (for tests, or a proxy) with the variables their own
// SDKs read: AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_ENDPOINT_URL_STS, GCE_METADATA_HOST; for
// Alibaba, ALIBABA_CLOUD_ECS_METADATA_ENDPOINT (a URL; ours, the SDKs have none).
//
// The Parse* functions read the services' answers and are pure (unit-tested on the
// documented formats); the Fetch* functions do the HTTP. Errors name the service and the
// URL, never a key or token. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/credentials.h"

namespace mm {

// The provider for `cloud` ("aws", "gcp", "ali"; "minio"/"s3" mean aws) with useIAM.
// `section` ("target.remote") is named in errors. InvalidArgument for a cloud without IAM
// support here (tc: COS has no metadata role in this tool; use ak/sk).
Result<std::shared_ptr<CredentialProvider>> IamCredentialProvider(std::string_view cloud,
                                                                  std::string_view section);

using TimePoint = std::chrono::system_clock::time_point;

// "2024-05-01T12:34:56Z" (also with fractional seconds); InvalidArgument otherwise.
Result<TimePoint> ParseIso8601Utc(std::string_view text);

// EC2 IMDS's security-credentials JSON: {"Code":"Success","AccessKeyId":..,
// "SecretAccessKey":..,"Token":..,"Expiration":"...Z"}. The Alibaba ECS one has the same
// shape with "AccessKeySecret" and "SecurityToken"; both are read here.
Result<Credentials> ParseInstanceCredentialsJson(std::string_view json, std::string_view what);
// STS AssumeRoleWithWebIdentity's XML answer (<Credentials> with AccessKeyId,
// SecretAccessKey, SessionToken, Expiration); an <Error> becomes PermissionDenied with its
// code and message.
Result<Credentials> ParseAssumeRoleWithWebIdentity(std::string_view xml, long http_status,
                                                   std::string_view what);
// An OAuth2 token answer {"access_token":..,"expires_in":N,"token_type":"Bearer"}; `now` is
// when it was asked for. An {"error":..} answer becomes PermissionDenied naming its error.
Result<Credentials> ParseOAuth2TokenJson(std::string_view json, long http_status,
                                         TimePoint now, std::string_view what);

// The RS256 JWT a service account sends to its token_uri (RFC 7523): issuer the account's
// client_email, audience the token_uri, the devstorage.read_write scope, valid one hour
// from `now`.
Result<std::string> ServiceAccountAssertion(std::string_view key_json, TimePoint now,
                                            std::string_view key_origin);

Result<Credentials> FetchEc2InstanceCredentials(const std::string& endpoint);
Result<Credentials> FetchWebIdentityCredentials(const std::string& sts_endpoint,
                                                const std::string& role_arn,
                                                const std::string& token_file);
Result<Credentials> FetchGceMetadataToken(const std::string& metadata_host);
Result<Credentials> FetchServiceAccountToken(const std::string& key_file);
Result<Credentials> FetchEcsRamRoleCredentials(const std::string& endpoint);

}  // namespace mm
