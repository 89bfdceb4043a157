#include "pipeline/part_check.h"

#include <gtest/gtest.h>

#include "storage/memory_storage.h"

namespace mm {
namespace {

// One collection "c", task "t0" with two parts of two files each.
Manifest TwoParts(MemoryStorage& storage) {
  Manifest m;
  m.collections.resize(1);
  m.collections[0].schema.collection = "c";
  TaskRecord task;
  task.done = true;
  for (int p = 0; p < 2; ++p) {
    PartInfo part;
    part.dir = StrCat("c/t0/part-0000", p);
    for (const char* field : {"id", "data"}) {
      const std::string path = StrCat(part.dir, "/", field, ".npy");
      const std::string content(100 + p * 10 + (field[0] == 'd' ? 5 : 0), 'x');
      storage.Put(path, content);
      part.files.push_back(path);
      part.file_bytes.push_back(content.size());
      part.bytes += content.size() - 10;  // payload: less the headers
    }
    task.parts.push_back(part);
  }
  m.collections[0].tasks["t0"] = task;
  return m;
}

TEST(PartCheckTest, EverythingThereIsNoProblem) {
  MemoryStorage storage;
  Manifest m = TwoParts(storage);
  auto problems = CheckParts(storage, m);
  ASSERT_TRUE(problems.ok()) << problems.status();
  EXPECT_TRUE(problems->empty());
}

TEST(PartCheckTest, NamesMissingShortAndLongFiles) {
  MemoryStorage storage;
  Manifest m = TwoParts(storage);
  ASSERT_TRUE(storage.Delete("c/t0/part-00000/data.npy").ok());
  storage.Put("c/t0/part-00001/id.npy", std::string(50, 'x'));
  storage.Put("c/t0/part-00001/data.npy", std::string(200, 'x'));
  auto problems = CheckParts(storage, m);
  ASSERT_TRUE(problems.ok()) << problems.status();
  ASSERT_EQ(problems->size(), 3u);
  const PartProblem& missing = (*problems)[0];
  EXPECT_EQ(missing.task, "t0");
  EXPECT_EQ(missing.part_dir, "c/t0/part-00000");
  EXPECT_EQ(missing.Describe(storage),
            "memory:///c/t0/part-00000/data.npy is missing (expected 105 bytes)");
  EXPECT_EQ((*problems)[1].Describe(storage),
            "memory:///c/t0/part-00001/id.npy holds 50 bytes, expected 110");
  EXPECT_EQ((*problems)[2].Describe(storage),
            "memory:///c/t0/part-00001/data.npy holds 200 bytes, expected 115");
}

// Manifests written before per-file sizes: existence, and the payload total as a floor.
TEST(PartCheckTest, OlderManifestChecksExistenceAndPayloadTotal) {
  MemoryStorage storage;
  Manifest m = TwoParts(storage);
  for (auto& part : m.collections[0].tasks["t0"].parts) part.file_bytes.clear();
  auto problems = CheckParts(storage, m);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  storage.Put("c/t0/part-00001/data.npy", std::string(20, 'x'));
  problems = CheckParts(storage, m);
  ASSERT_TRUE(problems.ok());
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].Describe(storage).find("less than the 205 payload bytes"),
            std::string::npos)
      << (*problems)[0].Describe(storage);
  ASSERT_TRUE(storage.Delete("c/t0/part-00000/id.npy").ok());
  problems = CheckParts(storage, m);
  ASSERT_TRUE(problems.ok());
  ASSERT_EQ(problems->size(), 2u);
  EXPECT_EQ((*problems)[0].Describe(storage), "memory:///c/t0/part-00000/id.npy is missing");
}

}  // namespace
}  // namespace mm
