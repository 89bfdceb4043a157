#include "sources/redis/redis_config.h"

#include <gtest/gtest.h>

#include "config/migration_config.h"

namespace mm {
namespace {

constexpr char kExample[] = R"(
dumper:
  worker:
    workMode: redis
source:
  redis:
    url: redis://reader:p%40ss@10.0.0.5:6380/2
    prefix: "doc:"
    keyType: hash
    scanCount: 200
    fields:
      - name: id
        pk: key
        maxLen: 64
      - name: emb
        type: vector
        dims: 4
        dataType: FLOAT64
      - name: half
        type: vector
        dims: 8
        dataType: FLOAT16
      - name: price
        type: Double
      - name: n
        type: int32
target:
  mode: local
  local:
    outputDir: /tmp/x
  create:
    collection:
      name: docs
  milvus2x:
    endpoint: localhost:19530
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseMigrationConfig(yaml, "m.yaml");
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(RedisConfigTest, ParsesEveryKey) {
  auto c = ParseMigrationConfig(kExample, "m.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->work_mode, "redis");
  const auto& r = dynamic_cast<const RedisConfig&>(*c->source);
  EXPECT_EQ(r.endpoint.host, "10.0.0.5");
  EXPECT_EQ(r.endpoint.port, 6380);
  EXPECT_EQ(r.endpoint.user, "reader");
  EXPECT_EQ(r.endpoint.password, "p@ss");
  EXPECT_EQ(r.endpoint.db, 2);
  EXPECT_FALSE(r.endpoint.tls);
  EXPECT_EQ(r.prefix, "doc:");
  EXPECT_EQ(r.key_type, RedisKeyType::kHash);
  EXPECT_EQ(r.scan_count, 200);
  EXPECT_EQ(r.collection, "docs");
  ASSERT_EQ(r.fields.size(), 5u);
  EXPECT_TRUE(r.fields[0].from_key);
  EXPECT_TRUE(r.fields[0].pk);
  EXPECT_EQ(r.fields[0].type, DataType::kVarChar);
  EXPECT_EQ(r.fields[1].type, DataType::kFloatVector);
  EXPECT_EQ(r.fields[1].vector_type, RedisVectorType::kFloat64);
  EXPECT_EQ(r.fields[2].type, DataType::kFloat16Vector);
  EXPECT_EQ(r.fields[3].type, DataType::kDouble);
  EXPECT_EQ(r.fields[4].type, DataType::kInt32);
}

TEST(RedisConfigTest, ErrorsNameTheKeyAndNeverTheUrl) {
  const std::string bad_url = ErrorOf(Replace(kExample, "redis://reader", "http://reader"));
  EXPECT_NE(bad_url.find("[source.redis.url]"), std::string::npos) << bad_url;
  EXPECT_EQ(bad_url.find("p%40ss"), std::string::npos) << bad_url;
  EXPECT_NE(ErrorOf(Replace(kExample, "        dims: 4\n", "")).find("[source.redis.fields[1].dims]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kExample, "dataType: FLOAT64", "dataType: INT8"))
                .find("[source.redis.fields[1].dataType]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kExample, "keyType: hash", "keyType: list")).find("[source.redis.keyType]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kExample, "    prefix: \"doc:\"\n", "    prefix: a\n    match: b*\n"))
                .find("[source.redis.match]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kExample, "        pk: key\n", "        type: VarChar\n"))
                .find("exactly one primary key"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kExample, "      name: docs\n", "      name: 9docs\n"))
                .find("[target.create.collection.name]"),
            std::string::npos);
}

TEST(RedisUrlTest, Forms) {
  auto a = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);
  EXPECT_TRUE(a->password.empty());
  auto b = ParseRedisUrl("rediss://:secret@h:7000/0");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->password, "secret");
  EXPECT_TRUE(b->user.empty());
  auto c = ParseRedisUrl("redis://secret@[::1]:7001/3");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7001);
  EXPECT_EQ(c->db, 3);
  EXPECT_EQ(c->password, "secret");
  auto d = ParseRedisUrl("redis://u:pa:ss@h");  // the password is all after the first ':'
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->user, "u");
  EXPECT_EQ(d->password, "pa:ss");
  for (const char* bad : {"redis://h:0", "redis://h:x", "redis://", "redis://h/db1",
                          "redis://u:%zz@h", "tcp://h"}) {
    auto r = ParseRedisUrl(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RedisPrefixPatternTest, EscapesGlobCharacters) {
  EXPECT_EQ(RedisPrefixPattern("doc:"), "doc:*");
  EXPECT_EQ(RedisPrefixPattern("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\*");
  EXPECT_EQ(RedisPrefixPattern(""), "*");
}

}  // namespace
}  // namespace mm
