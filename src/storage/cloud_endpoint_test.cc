#include "storage/cloud_endpoint.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

CloudEndpoint Resolve(std::string_view cloud, std::string_view endpoint,
                      std::string_view region, std::string_view addressing = "",
                      bool use_ssl = false) {
  auto r = ResolveCloudEndpoint("target.remote", cloud, endpoint, region, use_ssl, addressing);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CloudEndpoint{};
}

TEST(CloudEndpointTest, EachCloudHasItsDefaultHostStyleAndRegion) {
  CloudEndpoint gcp = Resolve("gcp", "", "");
  EXPECT_EQ(gcp.host, "storage.googleapis.com");
  EXPECT_EQ(gcp.scheme, "https");
  EXPECT_TRUE(gcp.virtual_host);
  EXPECT_EQ(gcp.region, "auto");
  EXPECT_EQ(gcp.url_scheme, "gs");

  CloudEndpoint ali = Resolve("ali", "", "oss-cn-hangzhou");
  EXPECT_EQ(ali.host, "s3.oss-cn-hangzhou.aliyuncs.com");
  EXPECT_EQ(ali.region, "cn-hangzhou");
  EXPECT_TRUE(ali.virtual_host);
  EXPECT_EQ(Resolve("ali", "", "cn-beijing").host, "s3.oss-cn-beijing.aliyuncs.com");

  CloudEndpoint tc = Resolve("tc", "", "ap-guangzhou");
  EXPECT_EQ(tc.host, "cos.ap-guangzhou.myqcloud.com");
  EXPECT_TRUE(tc.virtual_host);
  EXPECT_EQ(tc.region, "ap-guangzhou");
  EXPECT_EQ(tc.url_scheme, "cos");

  CloudEndpoint aws = Resolve("aws", "", "eu-west-1");
  EXPECT_EQ(aws.host, "s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(aws.virtual_host);
  EXPECT_EQ(Resolve("minio", "127.0.0.1:9000", "").region, "us-east-1");
}

TEST(CloudEndpointTest, EndpointAndAddressingOverrideTheDefaults) {
  CloudEndpoint gcp = Resolve("gcp", "localhost:8333", "", "path");
  EXPECT_EQ(gcp.host, "localhost:8333");
  EXPECT_EQ(gcp.scheme, "http");  // useSSL false and no scheme given
  EXPECT_FALSE(gcp.virtual_host);
  CloudEndpoint aws = Resolve("aws", "https://localhost:9000/", "", "virtual");
  EXPECT_EQ(aws.scheme, "https");
  EXPECT_EQ(aws.host, "localhost:9000");
  EXPECT_TRUE(aws.virtual_host);
  EXPECT_EQ(Resolve("tc", "localhost:1", "", "", true).scheme, "https");
}

TEST(CloudEndpointTest, MistakesNameTheKeyAndTheAcceptedValues) {
  auto unknown = ResolveCloudEndpoint("target.remote", "azur", "", "", false, "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  std::string msg(unknown.status().message());
  EXPECT_NE(msg.find("target.remote.cloud"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gcp, ali, tc"), std::string::npos) << msg;

  auto no_region = ResolveCloudEndpoint("source.remote", "ali", "", "", false, "");
  ASSERT_FALSE(no_region.ok());
  EXPECT_NE(std::string(no_region.status().message()).find("source.remote.region"),
            std::string::npos);
  auto style = ResolveCloudEndpoint("target.remote", "gcp", "", "", false, "dns");
  ASSERT_FALSE(style.ok());
  EXPECT_NE(std::string(style.status().message()).find("target.remote.addressing"),
            std::string::npos);
  auto path = ResolveCloudEndpoint("target.remote", "gcp", "h:1/x", "", false, "");
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mm
