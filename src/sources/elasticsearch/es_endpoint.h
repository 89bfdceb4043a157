// Where an Elasticsearch cluster is and how to authenticate to it, from source.es.*: the base
// URLs (an Elastic Cloud id decoded), and the one Authorization header the settings give.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "sources/elasticsearch/elasticsearch_config.h"

namespace mm {

// https://<es-uuid>.<host>[:port] from "<name>:<base64 host[:port]$es_uuid$kibana_uuid>".
// InvalidArgument naming [source.es.cloudId] (never echoing the id) when malformed.
Result<std::string> DecodeEsCloudId(const std::string& cloud_id);

// The base URLs to try, without trailing '/': source.es.urls, else the cloud id's.
Result<std::vector<std::string>> EsBaseUrls(const EsConnectionConfig& connection);

// "Authorization: ..." value, or "" for none. Precedence: apiKey, serviceToken, then
// username/password (Basic). An apiKey given as "id:key" is base64-encoded; a serviceToken
// may carry its "Bearer " prefix or not.
std::string EsAuthorization(const EsConnectionConfig& connection);

// The fingerprint as 32 raw bytes from hex (':' and spaces ignored, any case);
// InvalidArgument naming [source.es.fingerprint] when it is not 64 hex digits.
Result<std::string> ParseEsFingerprint(const std::string& text);

}  // namespace mm
