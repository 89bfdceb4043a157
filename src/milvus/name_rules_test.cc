#include "milvus/name_rules.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

TEST(NameRulesTest, ValidNamesPassAndMapToThemselves) {
  for (const char* name : {"test1w", "_x", "A_b_9", "_2023"}) {
    EXPECT_TRUE(ValidateMilvus2xName(name, "collection name").ok()) << name;
    EXPECT_EQ(ToMilvus2xName(name), name);
  }
}

TEST(NameRulesTest, InvalidNamesAreRefusedWithTheReason) {
  auto s = ValidateMilvus2xName("tag-with-dash", "partition name");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("'tag-with-dash'"), std::string::npos);
  EXPECT_NE(std::string(s.message()).find("'-'"), std::string::npos);
  EXPECT_FALSE(ValidateMilvus2xName("9lives", "collection name").ok());
  EXPECT_FALSE(ValidateMilvus2xName("", "collection name").ok());
  EXPECT_FALSE(ValidateMilvus2xName(std::string(256, 'a'), "collection name").ok());
  EXPECT_TRUE(ValidateMilvus2xName(std::string(255, 'a'), "collection name").ok());
}

TEST(NameRulesTest, MappingFollowsTheDocumentedRule) {
  EXPECT_EQ(ToMilvus2xName("tag-with-dash"), "tag_with_dash");
  EXPECT_EQ(ToMilvus2xName("2023.q1"), "_2023_q1");
  EXPECT_EQ(ToMilvus2xName(""), "_");
  EXPECT_EQ(ToMilvus2xName("caf\xc3\xa9"), "caf__");  // each byte of a UTF-8 letter
  EXPECT_EQ(ToMilvus2xName(std::string(300, 'x')).size(), kMaxMilvusNameLength);
  for (const char* odd : {"a b", "-", "1", "x.y.z", "\xe4\xb8\xad"}) {
    EXPECT_TRUE(ValidateMilvus2xName(ToMilvus2xName(odd), "name").ok()) << odd;
  }
}

}  // namespace
}  // namespace mm
