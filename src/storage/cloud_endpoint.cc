#include "storage/cloud_endpoint.h"

namespace mm {

std::string_view AcceptedS3Clouds() { return "aws, minio, s3, gcp, ali, tc"; }

bool IsS3Cloud(std::string_view cloud) {
  return cloud == "aws" || cloud == "minio" || cloud == "s3" || cloud == "gcp" ||
         cloud == "ali" || cloud == "tc";
}

Result<CloudEndpoint> ResolveCloudEndpoint(std::string_view section, std::string_view cloud,
                                           std::string_view endpoint, std::string_view region,
                                           bool use_ssl, std::string_view addressing) {
  if (!IsS3Cloud(cloud)) {
    return absl::InvalidArgumentError(StrCat(section, ".cloud: '", cloud,
                                             "' is not a known cloud; expected one of ",
                                             AcceptedS3Clouds()));
  }
  CloudEndpoint out;
  out.region = std::string(region);
  out.url_scheme = "s3";
  std::string default_host;
  if (cloud == "gcp") {
    default_host = "storage.googleapis.com";
    out.virtual_host = true;
    out.url_scheme = "gs";
    // GCS's S3 interoperability takes "auto" as the region of any bucket.
    if (out.region.empty()) out.region = "auto";
  } else if (cloud == "ali" || cloud == "tc") {
    out.virtual_host = true;
    out.url_scheme = cloud == "ali" ? "oss" : "cos";
    if (out.region.empty() && endpoint.empty()) {
      return absl::InvalidArgumentError(StrCat(
          section, ".region must be set for cloud ", cloud, " (e.g. ",
          cloud == "ali" ? "oss-cn-hangzhou" : "ap-guangzhou", ") unless ", section,
          ".endpoint is"));
    }
    if (cloud == "ali") {
      // OSS names its regions "cn-hangzhou" and its hosts "oss-cn-hangzhou.aliyuncs.com";
      // the Go tool's configs write either form.
      std::string_view id = region;
      if (id.substr(0, 4) == "oss-") id.remove_prefix(4);
      default_host = StrCat("oss-", id, ".aliyuncs.com");
    } else {
      default_host = StrCat("cos.", region, ".myqcloud.com");
    }
    if (out.region.empty()) out.region = "us-east-1";
  } else {
    if (out.region.empty()) out.region = "us-east-1";
    default_host = StrCat("s3.", out.region, ".amazonaws.com");
  }

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
    return absl::InvalidArgumentError(StrCat(
        section, ".endpoint must be host[:port]; credentials go in ak and sk, not in the endpoint"));
  }
  if (host.empty()) {
    host = default_host;
    out.scheme = "https";
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
