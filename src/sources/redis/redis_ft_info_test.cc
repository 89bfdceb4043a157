#include "sources/redis/redis_ft_info.h"

#include <gtest/gtest.h>

namespace mm {
namespace {

using R = RedisReply;

R S(const char* s) { return R::String(s); }

// FT.INFO as RediSearch 2.8 (Redis Stack 7.2) answers it in RESP2, abridged.
R Info(const char* key_type, std::vector<R> prefixes, std::vector<R> attributes) {
  return R::Array({S("index_name"), S("idx"), S("index_options"), R::Array({}),
                   S("index_definition"),
                   R::Array({S("key_type"), S(key_type), S("prefixes"), R::Array(prefixes),
                             S("default_score"), S("1")}),
                   S("attributes"), R::Array(std::move(attributes)), S("num_docs"), S("3")});
}

TEST(FtInfoTest, HashIndex) {
  R reply = Info("HASH", {S("doc:")},
                 {R::Array({S("identifier"), S("title"), S("attribute"), S("title"), S("type"),
                            S("TEXT"), S("WEIGHT"), S("1")}),
                  R::Array({S("identifier"), S("price"), S("attribute"), S("cost"), S("type"),
                            S("NUMERIC")}),
                  R::Array({S("identifier"), S("emb"), S("attribute"), S("emb"), S("type"),
                            S("VECTOR"), S("algorithm"), S("HNSW"), S("data_type"),
                            S("FLOAT16"), S("dim"), R::Integer(768), S("distance_metric"),
                            S("COSINE")}),
                  R::Array({S("identifier"), S("tags"), S("attribute"), S("tags"), S("type"),
                            S("TAG"), S("SEPARATOR"), S(",")}),
                  R::Array({S("identifier"), S("loc"), S("attribute"), S("loc"), S("type"),
                            S("GEOSHAPE")})});
  auto info = ParseFtInfo("idx", reply);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key_type, RedisKeyType::kHash);
  EXPECT_EQ(info->prefixes, std::vector<std::string>{"doc:"});
  EXPECT_EQ(info->metric, "COSINE");
  ASSERT_EQ(info->fields.size(), 4u);
  EXPECT_EQ(info->fields[0].name, "title");
  EXPECT_EQ(info->fields[0].type, DataType::kVarChar);
  EXPECT_EQ(info->fields[1].name, "cost");  // the alias names the Milvus field
  EXPECT_EQ(info->fields[1].source_name(), "price");
  EXPECT_EQ(info->fields[1].type, DataType::kDouble);
  EXPECT_EQ(info->fields[2].type, DataType::kFloat16Vector);
  EXPECT_EQ(info->fields[2].vector_type, RedisVectorType::kFloat16);
  EXPECT_EQ(info->fields[2].dims, 768);
  EXPECT_EQ(info->fields[3].type, DataType::kVarChar);
  ASSERT_EQ(info->notes.size(), 1u);
  EXPECT_NE(info->notes[0].find("GEOSHAPE"), std::string::npos);
}

TEST(FtInfoTest, JsonIndexPaths) {
  R reply = Info("JSON", {S("item:"), S("other:")},
                 {R::Array({S("identifier"), S("$.meta.name"), S("attribute"), S("name"),
                            S("type"), S("TAG")}),
                  R::Array({S("identifier"), S("$.vec"), S("attribute"), S("vec"), S("type"),
                            S("VECTOR"), S("algorithm"), S("FLAT"), S("data_type"),
                            S("FLOAT32"), S("dim"), S("3"), S("distance_metric"), S("IP")}),
                  R::Array({S("identifier"), S("$.tags[*]"), S("attribute"), S("tags"),
                            S("type"), S("TAG")})});
  auto info = ParseFtInfo("idx", reply);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key_type, RedisKeyType::kJson);
  EXPECT_EQ(info->prefixes.size(), 2u);
  ASSERT_EQ(info->fields.size(), 2u);
  EXPECT_EQ(info->fields[0].source_name(), "meta.name");
  EXPECT_EQ(info->fields[1].source_name(), "vec");
  EXPECT_EQ(info->fields[1].dims, 3);
  EXPECT_EQ(info->metric, "IP");
  ASSERT_EQ(info->notes.size(), 1u);  // $.tags[*] names no single member
}

TEST(FtInfoTest, VectorWithoutDimAndBrokenReplies) {
  R no_dim = Info("HASH", {}, {R::Array({S("identifier"), S("v"), S("attribute"), S("v"),
                                         S("type"), S("VECTOR")})});
  EXPECT_EQ(ParseFtInfo("idx", no_dim).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFtInfo("idx", R::Array({S("index_name"), S("idx")})).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseFtInfo("idx", R::Error("Unknown index name")).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mm
