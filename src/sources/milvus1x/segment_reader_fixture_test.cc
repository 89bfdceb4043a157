// Reads every live segment of a directory written by tests/fixtures/make_milvus1x_fixtures.py
// and checks each against the script's segments.json: live row count, first and last id, and
// (when given) the SHA-256 of the live ids (int64 LE) followed by the live vectors' bytes.
// Runs when MM_MILVUS1X_FIXTURES names the output directory, skips otherwise.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sources/milvus1x/segment_reader.h"
#include "storage/local_storage.h"

namespace mm {
namespace {

std::string Hex(const unsigned char* p, unsigned n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

TEST(SegmentReaderFixtureTest, PythonWrittenSegmentsReadAsExpected) {
  const char* dir = std::getenv("MM_MILVUS1X_FIXTURES");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set MM_MILVUS1X_FIXTURES to a directory made by "
                    "tests/fixtures/make_milvus1x_fixtures.py";
  }
  const std::string root(dir);
  std::ifstream in(root + "/segments.json");
  ASSERT_TRUE(in) << "no segments.json in " << root;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json manifest = nlohmann::json::parse(text.str());
  auto tables = LocalStorage::Open(root + "/" + manifest.at("tables_dir").get<std::string>());
  ASSERT_TRUE(tables.ok()) << tables.status();
  std::shared_ptr<Storage> storage(std::move(*tables));
  ASSERT_FALSE(manifest.at("segments").empty());

  for (const auto& entry : manifest.at("segments")) {
    SegmentSpec spec;
    spec.table_id = entry.at("table_id");
    spec.segment_id = entry.at("segment_id");
    spec.live_rows = entry.at("live_rows");
    spec.dim = entry.at("dim");
    spec.binary = entry.at("binary");
    SCOPED_TRACE(spec.table_id + "/" + spec.segment_id);
    SegmentReaderOptions options;
    options.batch_bytes = 5000;  // many batches per segment
    options.read_buffer_bytes = 3000;
    auto reader = SegmentReader::Open(storage, spec, MakeSegmentSchema("fixture", spec.dim, spec.binary, "id", "vector"),
                                      entry.at("partition"), options);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->physical_rows(), entry.at("physical_rows").get<int64_t>());
    EXPECT_EQ((*reader)->deleted_rows(), entry.at("deleted_rows").get<int64_t>());

    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ids_ctx(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    ASSERT_EQ(EVP_DigestInit_ex(ids_ctx.get(), EVP_sha256(), nullptr), 1);
    const bool check_digest = !entry.at("sha256").is_null();  // the --bench data has none
    std::string vectors;  // fixtures are small: hash the ids first, then these
    int64_t rows = 0;
    std::optional<int64_t> first_id, last_id;
    while (true) {
      auto batch = (*reader)->Next();
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (!batch->has_value()) break;
      const Batch& b = **batch;
      ASSERT_TRUE(b.Validate().ok());
      EXPECT_EQ(b.partition(), entry.at("partition").get<std::string>());
      if (b.num_rows() == 0) continue;
      if (!first_id) first_id = b.column(0).scalar<int64_t>(0);
      last_id = b.column(0).scalar<int64_t>(b.num_rows() - 1);
      rows += b.num_rows();
      EVP_DigestUpdate(ids_ctx.get(), b.column(0).data(), b.column(0).size_bytes());
      if (check_digest) {
        vectors.append(reinterpret_cast<const char*>(b.column(1).data()),
                       b.column(1).size_bytes());
      }
    }
    EVP_DigestUpdate(ids_ctx.get(), vectors.data(), vectors.size());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    ASSERT_EQ(EVP_DigestFinal_ex(ids_ctx.get(), digest, &len), 1);

    EXPECT_EQ(rows, spec.live_rows);
    if (entry.at("first_id").is_null()) {
      EXPECT_FALSE(first_id.has_value());
    } else {
      ASSERT_TRUE(first_id.has_value());
      EXPECT_EQ(*first_id, entry.at("first_id").get<int64_t>());
      EXPECT_EQ(*last_id, entry.at("last_id").get<int64_t>());
    }
    if (check_digest) {
      EXPECT_EQ(Hex(digest, len), entry.at("sha256").get<std::string>());
    }
  }
}

}  // namespace
}  // namespace mm
