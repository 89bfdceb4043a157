#include "config/config_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace mm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ConfigReader Read(const std::string& yaml) { return ConfigReader(YAML::Load(yaml), "m.yaml"); }

TEST(ConfigReaderTest, KeysMatchWhateverTheirCase) {
  ConfigReader r = Read("source:\n  Local:\n    FAISSFile: /a.index\n  mode: LOCAL\n");
  std::string file;
  ASSERT_TRUE(r.Get("source.local.faissFile", &file).ok());
  EXPECT_EQ(file, "/a.index");
  EXPECT_TRUE(r.Has("SOURCE.MODE"));
  std::string mode;
  ASSERT_TRUE(r.Get("source.mode", &mode).ok());
  EXPECT_EQ(mode, "LOCAL");  // values are returned as written
  EXPECT_FALSE(r.Has("source.local.tablesDir"));
}

TEST(ConfigReaderTest, LookupLeavesTheDocumentUnchanged) {
  YAML::Node root = YAML::Load("a:\n  b: 1\nc: 2\n");
  ConfigReader r(root, "m.yaml");
  EXPECT_TRUE(r.Has("A.B"));
  EXPECT_TRUE(r.Has("c"));
  EXPECT_FALSE(r.Has("a.x.y"));
  EXPECT_EQ(YAML::Dump(root), "a:\n  b: 1\nc: 2");
}

TEST(ConfigReaderTest, TwoKeysDifferingOnlyByCaseAreAnErrorNamingBoth) {
  ConfigReader r = Read("target:\n  create:\n    shardsNum: 2\n    ShardsNum: 3\n");
  int shards = 0;
  Status st = r.GetIntInRange("target.create.shardsNum", &shards, 0, 16);
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(st.message(), HasSubstr("[target.create.shardsNum] and [target.create.ShardsNum]"));
  EXPECT_THAT(std::string(r.DuplicateKeys().message()), HasSubstr("ShardsNum"));
}

TEST(ConfigReaderTest, DuplicateSeenOnlyByHasIsReportedAfterwards) {
  ConfigReader r = Read("meta:\n  Mode: a\n  mode: b\n");
  EXPECT_TRUE(r.DuplicateKeys().ok());
  EXPECT_TRUE(r.Has("meta.mode"));
  Status st = r.DuplicateKeys();
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_EQ(st.message(), "m.yaml: [meta.Mode] and [meta.mode] are one key written twice "
                          "(keys are case-insensitive); keep one");
}

TEST(ConfigReaderTest, NamesInAFreeFormMapKeepTheirCase) {
  // nameMap keys are collection names: `A` and `a` are two collections, not a duplicate.
  ConfigReader r = Read("nameMap:\n  A: x\n  a: y\n");
  std::map<std::string, std::string> names;
  ASSERT_TRUE(r.Get("NameMap", &names).ok());
  EXPECT_EQ(names, (std::map<std::string, std::string>{{"A", "x"}, {"a", "y"}}));
  EXPECT_TRUE(r.DuplicateKeys().ok());
  EXPECT_THAT(r.UnknownKeys({}), IsEmpty());
}

TEST(ConfigReaderTest, UnknownKeysNameThePathAndTheNearestKey) {
  ConfigReader r = Read(
      "target:\n  create:\n    collection:\n      name: c\n      shardsNums: 2\n"
      "  milvus2x:\n    endpoint: e\n    tlsMode: 1\nzzz: 1\n");
  std::string s;
  int n = 0;
  ASSERT_TRUE(r.Get("target.create.collection.name", &s).ok());
  ASSERT_TRUE(r.GetInt("target.create.collection.shardsNum", &n).ok());
  ASSERT_TRUE(r.Get("target.milvus2x.endpoint", &s).ok());
  EXPECT_THAT(r.UnknownKeys({}),
              ElementsAre("unknown key [target.create.collection.shardsNums] (did you mean "
                          "target.create.collection.shardsNum?)",
                          "unknown key [target.milvus2x.tlsMode]", "unknown key [zzz]"));
}

TEST(ConfigReaderTest, AKeyInTheWrongSectionSuggestsWhereItLives) {
  ConfigReader r = Read("target:\n  shardsNum: 2\n");
  int n = 0;
  ASSERT_TRUE(r.GetInt("target.create.collection.shardsNum", &n).ok());
  EXPECT_THAT(r.UnknownKeys({}),
              ElementsAre("unknown key [target.shardsNum] (did you mean "
                          "target.create.collection.shardsNum?)"));
}

TEST(ConfigReaderTest, UnknownKeysKeepTheFilesSpelling) {
  ConfigReader r = Read("Source:\n  Local:\n    FAISSFile: f\n    Extra: 1\n");
  std::string s;
  ASSERT_TRUE(r.Get("source.local.faissFile", &s).ok());
  EXPECT_THAT(r.UnknownKeys({}), ElementsAre("unknown key [Source.Local.Extra]"));
}

TEST(ConfigReaderTest, ListItemsAreCheckedKeyByKey) {
  ConfigReader r = Read("meta:\n  fields:\n    - name: id\n      typ: long\n    - name: v\n");
  auto items = r.Items("meta.fields");
  ASSERT_TRUE(items.ok());
  for (const ConfigReader& item : *items) {
    std::string s;
    ASSERT_TRUE(item.Get("name", &s).ok());
    ASSERT_TRUE(item.Get("type", &s).ok());
  }
  EXPECT_THAT(r.UnknownKeys({}), ElementsAre("unknown key [meta.fields[0].typ] (did you mean "
                                             "meta.fields[0].type?)"));
}

TEST(ConfigReaderTest, SubtreesAndDeliberatelyKnownKeysDoNotWarn) {
  ConfigReader r = Read(
      "target:\n  create:\n    index:\n      params: {M: 16, efConstruction: 200}\n"
      "meta:\n  version: 1.1\n  mode: sqlite\nextra:\n  deep:\n    x: 1\n");
  std::map<std::string, std::string> params;
  ASSERT_TRUE(r.Get("target.create.index.params", &params).ok());
  std::string s;
  ASSERT_TRUE(r.Get("meta.mode", &s).ok());
  r.MarkSubtree("EXTRA");
  EXPECT_THAT(r.UnknownKeys({"meta.version"}), IsEmpty());
  EXPECT_THAT(r.UnknownKeys({}), ElementsAre("unknown key [meta.version]"));
}

TEST(ConfigReaderTest, AKnownKeyWithAnUnexpectedMapStillFailsAsBefore) {
  ConfigReader r = Read("a:\n  b:\n    c: 1\n");
  std::string s;
  Status st = r.Get("a.b", &s);
  EXPECT_EQ(st.message(), "m.yaml: [a.b] expected a string, got a nested value");
}

}  // namespace
}  // namespace mm
