#include "storage/relative_path.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(RelativePathTest, NormalizesSegments) {
  EXPECT_EQ(*NormalizeRelativePath("a//./b/", "root"), "a/b");
  EXPECT_EQ(*NormalizeRelativePath("", "root"), "");
  EXPECT_EQ(*NormalizeRelativePath("./", "root"), "");
  EXPECT_EQ(*NormalizeRelativePath("a..b/c.npy", "root"), "a..b/c.npy");
}

TEST(RelativePathTest, RefusesEscapes) {
  auto abs = NormalizeRelativePath("/etc/passwd", "s3://b/p");
  EXPECT_EQ(abs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(abs.status().message()).find("s3://b/p"), std::string::npos);
  EXPECT_EQ(NormalizeRelativePath("a/../../x", "r").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NormalizeRelativePath("..", "r").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mm
