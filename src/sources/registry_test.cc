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
  for (const char* mode :
       {"faiss", "milvus2x", "milvus1x", "elasticsearch", "postgres", "mongodb", "redis"}) {
    const SourceKind* kind = FindSourceKind(mode);
    ASSERT_NE(kind, nullptr) << mode;
    EXPECT_STREQ(kind->work_mode, mode);
  }
  EXPECT_EQ(FindSourceKind("FAISSx"), nullptr);
  EXPECT_EQ(FindSourceKind(""), nullptr);
  // The list the workMode messages give.
  EXPECT_EQ(SourceKindNames(),
            "faiss, milvus2x, milvus1x, elasticsearch, postgres, mongodb or redis");
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
  k = Recognised("source:\n  redis:\n    url: redis://h:6379\n");
  ASSERT_NE(k, nullptr);
  EXPECT_STREQ(k->work_mode, "redis");
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


// loader.mode when the config names none: bulk import for the file-like sources (a Milvus
// 2.x source registers insert).
TEST(SourceRegistryTest, FileLikeKindsLoadByImportByDefault) {
  for (const char* kind : {"faiss", "milvus1x", "elasticsearch", "postgres", "mongodb", "redis"}) {
    ASSERT_NE(FindSourceKind(kind), nullptr) << kind;
    EXPECT_EQ(FindSourceKind(kind)->default_loader_mode, LoaderMode::kImport) << kind;
  }
}

// As the Go tool does, and since the target need not reach the source's bucket.
TEST(SourceRegistryTest, Milvus2xLoadsByInsertByDefault) {
  ASSERT_NE(FindSourceKind("milvus2x"), nullptr);
  EXPECT_EQ(FindSourceKind("milvus2x")->default_loader_mode, LoaderMode::kInsert);
}

}  // namespace
}  // namespace mm
