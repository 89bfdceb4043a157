// Where each cloud's S3-compatible API lives and how buckets are addressed there, from a
// bucket section's cloud, endpoint, region, useSSL and addressing keys.
//
//   cloud        default endpoint                  style    signing region (default)
//   aws/minio/s3 s3.<region>.amazonaws.com         path     region (us-east-1)
//   gcp          storage.googleapis.com            virtual  region (auto)
//   ali          s3.oss-<region>.aliyuncs.com      virtual  region id (cn-hangzhou; a leading
//                                                           "oss-" is dropped), required
//                                                           without endpoint
//   tc           cos.<region>.myqcloud.com         virtual  region, required without endpoint
//
// `endpoint` overrides the default host for every cloud ("host[:port]", or with a scheme,
// which then overrides useSSL); a default endpoint is always https. `addressing` ("path" or
// "virtual") overrides the style. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mm {

// The clouds a bucket section may name, for messages: "aws, minio, s3, gcp, ali, tc".
std::string_view AcceptedS3Clouds();
bool IsS3Cloud(std::string_view cloud);

struct CloudEndpoint {
  std::string scheme;        // "http" or "https"
  std::string host;          // "host[:port]", without the bucket
  bool virtual_host = false; // bucket.host/key instead of host/bucket/key
  std::string region;        // the SigV4 signing region
  std::string url_scheme;    // how objects are named in messages: s3, gs, oss, cos
};

// InvalidArgument naming `section` + ".cloud" / ".region" / ".addressing" / ".endpoint"
// for an unknown cloud, a missing region, a bad style or an endpoint with a path.
Result<CloudEndpoint> ResolveCloudEndpoint(std::string_view section, std::string_view cloud,
                                           std::string_view endpoint, std::string_view region,
                                           bool use_ssl, std::string_view addressing);

}  // namespace mm
