#include "sources/postgres/postgres_config.h"

#include <gtest/gtest.h>

#include "config/migration_config.h"

namespace mm {
namespace {

const PostgresConfig& Pg(const MigrationConfig& c) {
  return dynamic_cast<const PostgresConfig&>(*c.source);
}

constexpr char kExample[] = R"(
dumper:
  worker: {workMode: postgres, limit: 4, reader: {bufferSize: 1024}}
source:
  postgres:
    dsn: "postgresql://user:pass@host:5432/db?sslmode=prefer"
    tables:
      - name: public.items
        collection: items
        pk: id
        fields: [id, embedding, title, meta]
        numericAs: varchar
target:
  mode: local
  local: {outputDir: /tmp/x}
)";

TEST(PostgresConfigTest, TheIssueExample) {
  auto c = ParseMigrationConfig(kExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "postgres");
  const PostgresConfig& pg = Pg(*c);
  EXPECT_EQ(pg.connection.dsn, "postgresql://user:pass@host:5432/db?sslmode=prefer");
  ASSERT_EQ(pg.tables.size(), 1u);
  EXPECT_EQ(pg.tables[0].name, "public.items");
  EXPECT_EQ(pg.tables[0].collection, "items");
  EXPECT_EQ(pg.tables[0].pk, "id");
  EXPECT_EQ(pg.tables[0].fields.size(), 4u);
  EXPECT_TRUE(pg.tables[0].numeric_as_varchar);
  EXPECT_EQ(pg.batch_bytes, 1024 * 1024);
  EXPECT_EQ(pg.tasks_min, 4);
}

TEST(PostgresConfigTest, RecognisedWithoutWorkModeAndSeparateKeys) {
  auto c = ParseMigrationConfig(R"(
source:
  postgres: {host: 127.0.0.1, port: 5433, user: u, password: p, dbname: d, sslmode: disable,
             query: "SELECT id, v FROM t", collection: c, pk: id}
target: {mode: local, local: {outputDir: /tmp/x}}
)", "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "postgres");
  EXPECT_EQ(Pg(*c).connection.port, 5433);
  EXPECT_EQ(Pg(*c).query, "SELECT id, v FROM t");
  EXPECT_EQ(Pg(*c).query_table.collection, "c");
}

TEST(PostgresConfigTest, ErrorsNameTheKey) {
  struct Case {
    const char* source;
    const char* key;
  };
  const Case cases[] = {
      {"postgres: {tables: [{name: t}]}", "[source.postgres.dsn]"},
      {"postgres: {dsn: x}", "[source.postgres.tables]"},
      {"postgres: {dsn: x, tables: [{collection: c}]}", "[source.postgres.tables[0].name]"},
      {"postgres: {dsn: x, tables: [{name: t, numericAs: int}]}",
       "[source.postgres.tables[0].numericAs]"},
      {"postgres: {dsn: x, tables: [{name: t, collection: 9bad}]}",
       "[source.postgres.tables[0].collection]"},
      {"postgres: {dsn: x, tables: [{name: t, fields: [a, a]}]}",
       "[source.postgres.tables[0].fields]"},
      {"postgres: {dsn: x, query: 'SELECT 1'}", "[source.postgres.collection]"},
      {"postgres: {dsn: x, sslmode: maybe, tables: [{name: t}]}", "[source.postgres.sslmode]"},
  };
  for (const Case& k : cases) {
    auto c = ParseMigrationConfig(StrCat("source:\n  ", k.source,
                                         "\ntarget: {mode: local, local: {outputDir: /tmp/x}}\n"),
                                  "m.yaml");
    ASSERT_FALSE(c.ok()) << k.source;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << k.source;
    EXPECT_NE(c.status().message().find(k.key), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace mm
