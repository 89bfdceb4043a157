// Reads the index files tests/fixtures/make_faiss_fixtures.py writes with pip faiss-cpu (a
// newer faiss than the library linked here) and compares every row with the script's
// <name>.ids.bin / <name>.vectors.bin, in order; bit-for-bit except for the last-bit
// rounding of lossy decodings (see below). Runs when MM_FAISS_FIXTURES
// names the output directory, skips otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "sources/faiss/faiss_layout.h"
#include "sources/faiss/faiss_source.h"
#include "sources/faiss/faiss_test_util.h"

namespace mm {
namespace {

using testing::OpenFaiss;
using testing::ReadAllRows;
using testing::ReadFileBytes;
using faiss_format::ReadFaissLayout;

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

// One junk byte inserted into each pip-written file: at every offset of the first 4 KiB and
// the last 256 bytes, around every run of rows and id map, and at a stride through the bulk
// data. Each damaged file must fail with an error or yield exactly the original rows.
TEST(FaissFixturesTest, JunkByteFailsOrYieldsTheSameRows) {
  const char* dir = std::getenv("MM_FAISS_FIXTURES");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "set MM_FAISS_FIXTURES to a directory made by "
                    "tests/fixtures/make_faiss_fixtures.py";
  }
  const std::string root(dir);
  nlohmann::json manifest = nlohmann::json::parse(ReadFileBytes(root + "/manifest.json"));
  for (const auto& entry : manifest) {
    const std::string path = root + "/" + std::string(entry.at("file"));
    SCOPED_TRACE(path);
    const std::string bytes = ReadFileBytes(path);
    ASSERT_FALSE(bytes.empty());
    auto source = OpenFaiss(path);
    ASSERT_TRUE(source.ok()) << source.status();
    auto want = ReadAllRows(**source);
    ASSERT_TRUE(want.ok()) << want.status();

    auto layout = ReadFaissLayout(*OpenLocalFile(path).value());
    ASSERT_TRUE(layout.ok()) << layout.status();
    std::set<uint64_t> offsets;
    auto around = [&](uint64_t at, uint64_t radius) {
      const uint64_t last = std::min<uint64_t>(at + radius, bytes.size());
      for (uint64_t o = at > radius ? at - radius : 0; o <= last; ++o) offsets.insert(o);
    };
    around(0, 4096);
    around(bytes.size(), 256);
    for (const auto& run : layout->runs) {
      around(run.codes_offset, 16);
      if (run.ids_offset >= 0) around(static_cast<uint64_t>(run.ids_offset), 16);
    }
    for (const auto& map : layout->id_maps) around(map.offset, 16);
    const uint64_t stride = std::max<uint64_t>(1, bytes.size() / 300);
    for (uint64_t o = 0; o < bytes.size(); o += stride) offsets.insert(o);
    const std::vector<uint64_t> list(offsets.begin(), offsets.end());
    const int64_t refused = testing::ExpectJunkByteNeverChangesRows(bytes, list, *want, path);
    EXPECT_EQ(refused, 2 * static_cast<int64_t>(list.size()));
  }
}

}  // namespace
}  // namespace mm
