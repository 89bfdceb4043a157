#include "sources/mongodb/mongodb_config.h"

#include <gtest/gtest.h>

#include "config/migration_config.h"

namespace mm {
namespace {

const MongoConfig& Mongo(const MigrationConfig& c) {
  return dynamic_cast<const MongoConfig&>(*c.source);
}

std::string Yaml(const std::string& mongodb) {
  return StrCat(R"(
dumper:
  worker:
    limit: 3
source:
  mongodb:
)", mongodb, R"(
target:
  mode: local
  local:
    outputDir: /tmp/out
  milvus2x:
    endpoint: localhost:19530
)");
}

constexpr char kGood[] = R"(    uri: mongodb://reader:pw@db1:27017,db2:27017/?authSource=admin&replicaSet=rs0
    database: shop
    collections:
      products: products_v2
      reviews: ""
    filter: '{"status": "active", "price": {"$gt": 10}}'
    fields:
      - name: embedding
        type: FloatVector
        dims: 768
      - name: meta.author
        type: varchar
        maxLen: 64
      - name: tags
        type: Array
        elementType: VarChar
        maxCapacity: 16
      - name: attrs
        target: attributes
        type: JSON
    unlisted: dynamic
    invalidDocs: skip)";

TEST(MongoConfigTest, ParsesEveryKey) {
  auto c = ParseMigrationConfig(Yaml(kGood), "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "mongodb");
  const MongoConfig& m = Mongo(*c);
  EXPECT_EQ(m.database, "shop");
  ASSERT_EQ(m.collections.size(), 2u);
  EXPECT_EQ(m.collections[0], std::make_pair(std::string("products"), std::string("products_v2")));
  EXPECT_EQ(m.collections[1], std::make_pair(std::string("reviews"), std::string("reviews")));
  ASSERT_EQ(m.fields.size(), 4u);
  EXPECT_EQ(m.fields[0].type, DataType::kFloatVector);
  EXPECT_EQ(m.fields[0].dims, 768);
  EXPECT_EQ(m.fields[1].target, "meta_author");
  EXPECT_EQ(m.fields[1].type, DataType::kVarChar);
  EXPECT_EQ(m.fields[2].element_type, DataType::kVarChar);
  EXPECT_EQ(m.fields[2].max_capacity, 16);
  EXPECT_EQ(m.fields[3].target, "attributes");
  EXPECT_TRUE(m.dynamic_unlisted);
  EXPECT_TRUE(m.skip_invalid_docs);
  EXPECT_TRUE(c->skip_invalid_rows);  // the same setting as dumper.invalidRows
  EXPECT_EQ(m.tasks, 3);              // dumper.worker.limit
}

TEST(MongoConfigTest, RejectsBadValuesNamingTheKey) {
  struct Case {
    std::string find, replace, expect;
  } cases[] = {
      {"uri: mongodb://reader:pw@", "uri: http://reader:pw@", "[source.mongodb.uri]"},
      {"database: shop", "database: \"\"", "[source.mongodb.database]"},
      {"'{\"status\": \"active\", \"price\": {\"$gt\": 10}}'", "'{status'",
       "[source.mongodb.filter]"},
      {"dims: 768", "dims: 0", "[source.mongodb.fields[0].dims]"},
      {"type: FloatVector", "type: Vector", "[source.mongodb.fields[0].type]"},
      {"elementType: VarChar", "elementType: JSON", "[source.mongodb.fields[2].elementType]"},
      {"unlisted: dynamic", "unlisted: keep", "[source.mongodb.unlisted]"},
      {"invalidDocs: skip", "invalidDocs: ignore", "[source.mongodb.invalidDocs]"},
      {"target: attributes", "target: tags", "[source.mongodb.fields[3].target]"},
  };
  for (const auto& tc : cases) {
    std::string body = kGood;
    const size_t at = body.find(tc.find);
    ASSERT_NE(at, std::string::npos) << tc.find;
    body.replace(at, tc.find.size(), tc.replace);
    auto c = ParseMigrationConfig(Yaml(body), "m.yaml");
    ASSERT_FALSE(c.ok()) << tc.replace;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
    EXPECT_NE(c.status().message().find(tc.expect), std::string::npos) << c.status();
    // The password never shows.
    EXPECT_EQ(c.status().message().find("pw@"), std::string::npos) << c.status();
  }
}

TEST(MongoConfigTest, NeedsAVectorField) {
  std::string body = kGood;
  body.replace(body.find("type: FloatVector"), 17, "type: Int64");
  body.replace(body.find("        dims: 768\n"), 18, "");
  auto c = ParseMigrationConfig(Yaml(body), "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("needs a vector field"), std::string::npos) << c.status();
}

TEST(MongoConfigTest, IdIsVarCharOrInt64) {
  std::string body = kGood;
  body.replace(body.find("    fields:\n"), 12, "    fields:\n      - {name: _id, type: Double}\n");
  auto c = ParseMigrationConfig(Yaml(body), "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("[source.mongodb.fields[0].type] _id is the primary key"),
            std::string::npos)
      << c.status();
}

TEST(MongoConfigTest, InvalidDocsAndInvalidRowsMustAgree) {
  std::string yaml = Yaml(kGood);
  yaml.replace(yaml.find("    limit: 3\n"), 13, "    limit: 3\n  invalidRows: fail\n");
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("disagree"), std::string::npos) << c.status();
}

TEST(MongoConfigTest, UriForLogDropsCredentialsAndOptions) {
  EXPECT_EQ(MongoUriForLog("mongodb://u:secret@h1:27017,h2/db?authSource=admin"),
            "mongodb://h1:27017,h2/db");
  EXPECT_EQ(MongoUriForLog("mongodb+srv://u:p%40ss@cluster0.example.net/"),
            "mongodb+srv://cluster0.example.net/");
  EXPECT_EQ(MongoUriForLog("mongodb://localhost"), "mongodb://localhost");
}

}  // namespace
}  // namespace mm
