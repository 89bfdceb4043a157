#include "storage/cloud_endpoint.h"

namespace mm {
namespace {

// The clouds reached through an S3-compatible API, one line each.
struct CloudSpec {
  std::string_view name;
  std::string_view default_host;  // "{region}" is replaced by the region
  bool virtual_host;              // the default style
  std::string_view default_region;  // "" when the region must be given (no endpoint)
  std::string_view url_scheme;
  std::string_view example_region;
};

constexpr CloudSpec kClouds[] = {
    {"aws", "s3.{region}.amazonaws.com", false, "us-east-1", "s3", "us-west-2"},
    {"minio", "s3.{region}.amazonaws.com", false, "us-east-1", "s3", "us-east-1"},
    {"s3", "s3.{region}.amazonaws.com", false, "us-east-1", "s3", "us-east-1"},
    // GCS's S3 interoperability takes "auto" as the region of any bucket.
    {"gcp", "storage.googleapis.com", true, "auto", "gs", "auto"},
    // OSS's S3-compatible endpoint, s3.oss-<region id>.aliyuncs.com, signs with the region id
    // ("cn-hangzhou"); the Go tool's configs also write "oss-cn-hangzhou" (stripped below).
    {"ali", "s3.oss-{region}.aliyuncs.com", true, "", "oss", "cn-hangzhou"},
    {"tc", "cos.{region}.myqcloud.com", true, "", "cos", "ap-guangzhou"},
};

const CloudSpec* FindCloud(std::string_view cloud) {
  for (const CloudSpec& spec : kClouds) {
    if (spec.name == cloud) return &spec;
  }
  return nullptr;
}

}  // namespace

std::string_view AcceptedS3Clouds() { return "aws, minio, s3, gcp, ali, tc"; }

bool IsS3Cloud(std::string_view cloud) { return FindCloud(cloud) != nullptr; }

Result<CloudEndpoint> ResolveCloudEndpoint(std::string_view section, std::string_view cloud,
                                           std::string_view endpoint, std::string_view region,
                                           bool use_ssl, std::string_view addressing) {
  const CloudSpec* spec = FindCloud(cloud);
  if (spec == nullptr) {
    return absl::InvalidArgumentError(StrCat(section, ".cloud: '", cloud,
                                             "' is not a known cloud; expected one of ",
                                             AcceptedS3Clouds()));
  }
  if (region.empty() && endpoint.empty() && spec->default_region.empty()) {
    return absl::InvalidArgumentError(StrCat(section, ".region must be set for cloud ", cloud,
                                             " (e.g. ", spec->example_region, ") unless ",
                                             section, ".endpoint is"));
  }
  CloudEndpoint out;
  out.url_scheme = std::string(spec->url_scheme);
  out.virtual_host = spec->virtual_host;
  out.region = std::string(region.empty() ? spec->default_region : region);
  if (cloud == "ali" && out.region.rfind("oss-", 0) == 0) out.region.erase(0, 4);
  // A signing region is needed even when an endpoint stands in for the region.
  if (out.region.empty()) out.region = "us-east-1";
  const std::string& host_region = out.region;

  std::string host(endpoint);
  out.scheme = use_ssl ? "https" : "http";
  if (host.rfind("http://", 0) == 0) {
    out.scheme = "http";
    host = host.substr(7);
  } else if (host.rfind("https://", 0) == 0) {
    out.scheme = "https";
    host = host.substr(8);
  }
  while (!host.empty() && host.back() == '/') host.pop_back();
  if (host.find_first_of("/?#") != std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat(section, ".endpoint must be host[:port], without a path"));
  }
  if (host.find('@') != std::string::npos) {
    return absl::InvalidArgumentError(StrCat(section,
                                             ".endpoint must be host[:port]; credentials go "
                                             "in ak and sk, not in the endpoint"));
  }
  if (host.empty()) {
    host = std::string(spec->default_host);
    if (size_t at = host.find("{region}"); at != std::string::npos) {
      host.replace(at, 8, host_region);
    }
    out.scheme = "https";  // the clouds' own hosts serve https
  }
  out.host = host;

  if (addressing == "path") {
    out.virtual_host = false;
  } else if (addressing == "virtual") {
    out.virtual_host = true;
  } else if (!addressing.empty()) {
    return absl::InvalidArgumentError(StrCat(section, ".addressing: '", addressing,
                                             "' is not a style; expected path or virtual"));
  }
  return out;
}

}  // namespace mm
