// Reads the index files tests/fixtures/make_faiss_fixtures.py writes with pip faiss-cpu (a
// newer faiss than the library linked here) and compares every row with the script's
// <name>.ids.bin / <name>.vectors.bin, in order; bit-for-bit except for the last-bit
// rounding of lossy decodings (see below). Runs when MM_FAISS_FIXTURES
// names the output directory, skips otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sources/faiss/faiss_source.h"
#include "sources/faiss/faiss_test_util.h"

namespace mm {
namespace {

using testing::OpenFaiss;
using testing::ReadAllRows;
using testing::ReadFileBytes;

TEST(FaissFixturesTest, PythonWrittenIndexesReadAsExpected) {
  const char* dir = std::getenv("MM_FAISS_FIXTURES");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set MM_FAISS_FIXTURES to a directory made by "
                    "tests/fixtures/make_faiss_fixtures.py";
  }
  const std::string root(dir);
  std::string manifest_text = ReadFileBytes(root + "/manifest.json");
  ASSERT_FALSE(manifest_text.empty()) << "no manifest.json in " << root;
  nlohmann::json manifest = nlohmann::json::parse(manifest_text);
  ASSERT_FALSE(manifest.empty());

  for (const auto& entry : manifest) {
    const std::string name = entry.at("name");
    SCOPED_TRACE(name);
    const bool binary = entry.at("binary");
    const int64_t dim = entry.at("dim");
    const int64_t rows = entry.at("rows");
    const bool lossy = entry.at("lossy");

    FaissSourceOptions options;
    options.rows_per_task = 1000;
    options.batch_bytes = 64 * 1024;
    auto source = OpenFaiss(root + "/" + std::string(entry.at("file")), options);
    ASSERT_TRUE(source.ok()) << source.status();
    auto plans = (*source)->Plan();
    ASSERT_TRUE(plans.ok()) << plans.status();
    const CollectionPlan& plan = (*plans)[0];
    EXPECT_EQ(plan.metric_type, std::string(entry.at("metric")));
    EXPECT_EQ(plan.total_rows, rows);
    EXPECT_EQ(plan.schema->fields[1].dim, dim);
    EXPECT_EQ(plan.schema->fields[1].type,
              binary ? DataType::kBinaryVector : DataType::kFloatVector);

    auto got = ReadAllRows(**source);
    ASSERT_TRUE(got.ok()) << got.status();
    const std::string want_ids = ReadFileBytes(root + "/" + name + ".ids.bin");
    const std::string want_vectors = ReadFileBytes(root + "/" + name + ".vectors.bin");
    ASSERT_EQ(want_ids.size(), static_cast<size_t>(rows) * 8);
    ASSERT_EQ(want_vectors.size(), static_cast<size_t>(rows * got->width));
    ASSERT_EQ(got->size(), rows);
    EXPECT_EQ(std::memcmp(got->ids.data(), want_ids.data(), want_ids.size()), 0)
        << "ids differ";
    if (!lossy) {
      int64_t first_bad = -1;
      for (int64_t i = 0; i < rows && first_bad < 0; ++i) {
        if (std::memcmp(&got->vectors[i * got->width], want_vectors.data() + i * got->width,
                        got->width) != 0) {
          first_bad = i;
        }
      }
      EXPECT_EQ(first_bad, -1) << "vector of row " << first_bad << " differs";
      continue;
    }
    // Lossy codes are decoded by faiss 1.7.3 here and by pip faiss (SIMD, fused
    // multiply-add) in the script; scalar-quantizer decodings may differ in the last bit or
    // two. Allow 1e-5 relative (floor 1), far below a quantization step (~1e-2).
    int64_t bad = 0;
    float worst = 0;
    for (int64_t i = 0; i < rows * dim; ++i) {
      float a, b;
      std::memcpy(&a, got->vectors.data() + i * 4, 4);
      std::memcpy(&b, want_vectors.data() + i * 4, 4);
      const float diff = std::abs(a - b);
      worst = std::max(worst, diff);
      if (!(diff <= 1e-5f * std::max(1.0f, std::abs(b)))) ++bad;
    }
    EXPECT_EQ(bad, 0) << bad << " components differ by more than the tolerance; worst " << worst;
  }
}

}  // namespace
}  // namespace mm
