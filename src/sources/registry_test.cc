#include "sources/registry.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace mm {
namespace {

const SourceKind* Recognised(const std::string& yaml) {
  static MigrationConfig shared;
  return RecogniseSourceKind(ConfigReader(YAML::Load(yaml), "m.yaml"), shared);
}

TEST(SourceRegistryTest, FindsEachKindByItsWorkMode) {
  for (const char* mode : {"faiss", "milvus1x", "elasticsearch"}) {
    const SourceKind* kind = FindSourceKind(mode);
    ASSERT_NE(kind, nullptr) << mode;
    EXPECT_STREQ(kind->work_mode, mode);
  }
  EXPECT_EQ(FindSourceKind("FAISSx"), nullptr);
  EXPECT_EQ(FindSourceKind(""), nullptr);
  // The list the workMode messages give.
  EXPECT_EQ(SourceKindNames(), "faiss, milvus2x, milvus1x or elasticsearch");
}

// Without workMode the keys name the kind, in the order the parser always inferred it:
// a faissFile first, then a source.es section, then a tablesDir or meta.mode.
TEST(SourceRegistryTest, RecognisesTheKindFromTheKeysPresent) {
  const SourceKind* k = Recognised("source:\n  local:\n    faissFile: /x.index\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "faiss");
  k = Recognised("source:\n  mode: remote\n  remote:\n    faissFile: x.index\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "faiss");
  k = Recognised("source:\n  local:\n    faissFile: /x.index\n    tablesDir: /t\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "faiss");
  k = Recognised("source:\n  local:\n    tablesDir: /db/tables\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "milvus1x");
  k = Recognised("meta:\n  mode: sqlite\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "milvus1x");
  // ES configs have a meta section too: source.es wins over meta.mode.
  k = Recognised("meta:\n  mode: sqlite\nsource:\n  es:\n    urls: [http://h:9200]\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "elasticsearch");
  // A faissFile under the other section is not the source's.
  EXPECT_EQ(Recognised("source:\n  mode: remote\n  local:\n    faissFile: /x.index\n"), nullptr);
  EXPECT_EQ(Recognised("source:\n  local:\n    faissFile: ''\n"), nullptr);
  EXPECT_EQ(Recognised("dumper:\n  worker:\n    limit: 2\n"), nullptr);
}

TEST(SourceRegistryTest, OpenSourceRefusesAConfigWithoutASource) {
  MigrationConfig config;
  config.work_mode = "faiss";
  auto opened = OpenSource(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mm
