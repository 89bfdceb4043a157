#include "storage/local_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace mm {
namespace {

namespace fs = std::filesystem;

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mm-local-storage-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto storage = LocalStorage::Open(dir_ + "/root");
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Slurp(const std::string& rel) {
    std::ifstream in(dir_ + "/root/" + rel, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
  }
  // Every entry under the root, temp files included.
  std::vector<std::string> AllEntries() {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir_ + "/root")) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir_ + "/root").string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  void WriteFile(const std::string& rel, const std::string& content) {
    auto file = storage_->OpenWrite(rel);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append(content).ok());
    ASSERT_TRUE((*file)->Close().ok());
  }

  std::string dir_;
  std::unique_ptr<LocalStorage> storage_;
};

TEST_F(LocalStorageTest, OpenCreatesRootAndDescribesIt) {
  EXPECT_TRUE(fs::is_directory(dir_ + "/root"));
  EXPECT_EQ(storage_->Describe(), dir_ + "/root");
  EXPECT_EQ(storage_->ImportPath("a/b.npy"), dir_ + "/root/a/b.npy");
}

TEST_F(LocalStorageTest, OpenOnAFileFails) {
  std::ofstream(dir_ + "/plain") << "x";
  auto storage = LocalStorage::Open(dir_ + "/plain");
  EXPECT_FALSE(storage.ok());
}

TEST_F(LocalStorageTest, NothingVisibleUntilClose) {
  auto file = storage_->OpenWrite("sub/dir/data.bin");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append("hello ").ok());
  ASSERT_TRUE((*file)->Append("world").ok());
  EXPECT_EQ((*file)->Size(), 11u);
  EXPECT_FALSE(fs::exists(dir_ + "/root/sub/dir/data.bin"));
  auto listed = storage_->List("");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "temporary files must not be listed";
  EXPECT_FALSE(*storage_->Exists("sub/dir/data.bin"));

  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(Slurp("sub/dir/data.bin"), "hello world");
  EXPECT_EQ(AllEntries(), std::vector<std::string>{"sub/dir/data.bin"});
  EXPECT_TRUE(*storage_->Exists("sub/dir/data.bin"));
  EXPECT_TRUE((*file)->Close().ok()) << "a second Close is a no-op";
  EXPECT_EQ((*file)->Append("x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LocalStorageTest, FinishedFileIsReadableByOthers) {
  WriteFile("perm.bin", "x");
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/root/perm.bin").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRGRP) << std::oct << st.st_mode;
}

TEST_F(LocalStorageTest, CloseReplacesAnExistingFileAtomically) {
  WriteFile("f.txt", "old content");
  auto file = storage_->OpenWrite("f.txt");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("new").ok());
  EXPECT_EQ(Slurp("f.txt"), "old content");
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(Slurp("f.txt"), "new");
}

TEST_F(LocalStorageTest, RewritePrefixInBuffer) {
  auto file = storage_->OpenWrite("h.npy");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("HEADER??|payload").ok());
  ASSERT_TRUE((*file)->RewritePrefix("HEADER42").ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(Slurp("h.npy"), "HEADER42|payload");
}

TEST_F(LocalStorageTest, RewritePrefixAfterFlushAndAcrossBoundary) {
  // 100 bytes go to disk when the big append arrives; the prefix then straddles the
  // flushed part only. A second case leaves the prefix split between disk and buffer.
  auto file = storage_->OpenWrite("big.bin");
  ASSERT_TRUE(file.ok());
  std::string head(100, 'h');
  std::string big(3 << 20, 'b');
  ASSERT_TRUE((*file)->Append(head).ok());
  ASSERT_TRUE((*file)->Append(big).ok());
  ASSERT_TRUE((*file)->Append("tail").ok());
  std::string patch(150, 'P');
  ASSERT_TRUE((*file)->RewritePrefix(patch).ok());
  ASSERT_TRUE((*file)->Close().ok());
  std::string want = patch + big.substr(50) + "tail";
  std::string got = Slurp("big.bin");
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);

  auto split = storage_->OpenWrite("split.bin");
  ASSERT_TRUE(split.ok());
  // Two bytes reach the disk alone when the next append no longer fits the buffer.
  std::string rest((1 << 20) - 1, 'a');
  ASSERT_TRUE((*split)->Append("ab").ok());
  ASSERT_TRUE((*split)->Append(rest).ok());
  ASSERT_TRUE((*split)->RewritePrefix("XYZ").ok());
  ASSERT_TRUE((*split)->Close().ok());
  EXPECT_TRUE(Slurp("split.bin") == "XYZ" + rest.substr(1));
}

TEST_F(LocalStorageTest, RewritePrefixRejectsTooMuch) {
  auto file = storage_->OpenWrite("r.bin");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  EXPECT_EQ((*file)->RewritePrefix("abcd").code(), absl::StatusCode::kInvalidArgument);
  std::string huge(WritableFile::kMaxPrefixRewrite + 1, 'x');
  ASSERT_TRUE((*file)->Append(huge).ok());
  EXPECT_EQ((*file)->RewritePrefix(huge).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalStorageTest, AbortLeavesNothing) {
  auto file = storage_->OpenWrite("a/aborted.bin");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(std::string(2 << 20, 'z')).ok());
  ASSERT_TRUE((*file)->Abort().ok());
  EXPECT_TRUE(AllEntries().empty());
  EXPECT_EQ((*file)->Close().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LocalStorageTest, DestructionWithoutCloseLeavesNothing) {
  {
    auto file = storage_->OpenWrite("dropped.bin");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("data").ok());
  }
  EXPECT_TRUE(AllEntries().empty());
}

TEST_F(LocalStorageTest, ReadAtAndSize) {
  std::string content;
  for (int i = 0; i < 10000; ++i) content += std::to_string(i);
  WriteFile("r/data.txt", content);
  auto file = storage_->OpenRead("r/data.txt");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->Size(), content.size());
  EXPECT_EQ((*file)->name(), dir_ + "/root/r/data.txt");
  // Concurrent readers share the file.
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t off = t; off + 100 < content.size(); off += 997) {
        char buf[100];
        auto n = (*file)->ReadAt(off, sizeof(buf), buf);
        if (!n.ok() || *n != 100 || std::string(buf, 100) != content.substr(off, 100)) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  char buf[64];
  auto tail = (*file)->ReadAt(content.size() - 10, sizeof(buf), buf);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 10u);
  auto past = (*file)->ReadAt(content.size() + 5, sizeof(buf), buf);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, 0u);
}

TEST_F(LocalStorageTest, NotFoundCodes) {
  auto missing = storage_->OpenRead("nope/missing.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.status().message()).find("nope/missing.npy"), std::string::npos);
  EXPECT_NE(std::string(missing.status().message()).find("No such file"), std::string::npos);
  auto direct = OpenLocalFile(dir_ + "/absent");
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(*storage_->Exists("nope/missing.npy"));
  EXPECT_TRUE(storage_->Delete("nope/missing.npy").ok());
  EXPECT_TRUE(storage_->DeletePrefix("nope").ok());
  auto listed = storage_->List("nope");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(LocalStorageTest, OpenLocalFileReadsAbsolutePaths) {
  std::ofstream(dir_ + "/outside.bin") << "outside";
  auto file = OpenLocalFile(dir_ + "/outside.bin");
  ASSERT_TRUE(file.ok());
  char buf[16];
  auto n = (*file)->ReadAt(0, sizeof(buf), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "outside");
  EXPECT_EQ(OpenLocalFile(dir_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalStorageTest, PathsMayNotEscapeTheRoot) {
  EXPECT_EQ(storage_->OpenWrite("../evil").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->OpenRead("/etc/passwd").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->OpenWrite("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(storage_->DeletePrefix("a/../..").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalStorageTest, ListIsRecursiveSortedAndDirectoryScoped) {
  WriteFile("c/2.npy", "22");
  WriteFile("c/1.npy", "1");
  WriteFile("c/sub/3.npy", "333");
  WriteFile("cc/4.npy", "4444");
  WriteFile("top.json", "{}");
  auto all = storage_->List("");
  ASSERT_TRUE(all.ok());
  std::vector<std::string> paths;
  for (auto& f : *all) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"c/1.npy", "c/2.npy", "c/sub/3.npy", "cc/4.npy",
                                             "top.json"}));
  auto c = storage_->List("c");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 3u) << "'c' must not match 'cc'";
  EXPECT_EQ((*c)[0].path, "c/1.npy");
  EXPECT_EQ((*c)[0].size, 1u);
  EXPECT_EQ((*c)[2].path, "c/sub/3.npy");
  EXPECT_EQ((*c)[2].size, 3u);
  auto slash = storage_->List("c/");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(slash->size(), 3u);
}

TEST_F(LocalStorageTest, DeleteAndDeletePrefix) {
  WriteFile("c/1.npy", "1");
  WriteFile("c/sub/2.npy", "2");
  WriteFile("cc/3.npy", "3");
  WriteFile("keep.txt", "k");
  ASSERT_TRUE(storage_->Delete("keep.txt").ok());
  EXPECT_FALSE(*storage_->Exists("keep.txt"));
  ASSERT_TRUE(storage_->DeletePrefix("c").ok());
  EXPECT_EQ(AllEntries(), std::vector<std::string>{"cc/3.npy"});
  ASSERT_TRUE(storage_->DeletePrefix("").ok());
  EXPECT_TRUE(AllEntries().empty());
  EXPECT_TRUE(fs::is_directory(dir_ + "/root")) << "the root itself stays";
}

// What SIGKILL leaves (hidden temporary files) goes; finished files and other hidden files
// stay; only under the prefix.
TEST_F(LocalStorageTest, RemoveAbandonedWritesDeletesOnlyTemporaryFilesUnderThePrefix) {
  WriteFile("c/t/part-00000/id.npy", "done");
  WriteFile("d/kept.npy", "done");
  auto open = storage_->OpenWrite("c/t/part-00001/id.npy");  // a writer in progress...
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE((*open)->Append("half").ok());
  std::ofstream(dir_ + "/root/c/t/.data.npy.tmp-Ab12Cd") << "killed";
  std::ofstream(dir_ + "/root/d/.x.npy.tmp-Ab12Cd") << "other prefix";
  std::ofstream(dir_ + "/root/c/.hidden") << "not ours";
  auto removed = storage_->RemoveAbandonedWrites("c");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);  // ...is abandoned too: the caller guarantees nobody writes there
  EXPECT_EQ(AllEntries(), (std::vector<std::string>{"c/.hidden", "c/t/part-00000/id.npy",
                                                    "d/.x.npy.tmp-Ab12Cd", "d/kept.npy"}));
  EXPECT_EQ(*storage_->RemoveAbandonedWrites("nothing/here"), 0);
}

// Compare-and-swap: a create fails on an existing file, a write or delete on a changed one.
TEST_F(LocalStorageTest, ConditionalWritesCompareTheVersion) {
  auto created = storage_->WriteIfVersion("lock", "a", std::nullopt);
  ASSERT_TRUE(created.ok() && created->has_value()) << created.status();
  EXPECT_FALSE(storage_->WriteIfVersion("lock", "b", std::nullopt)->has_value());
  auto read = storage_->ReadVersioned("lock");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->content, "a");
  EXPECT_EQ((*read)->version, **created);
  EXPECT_FALSE(storage_->WriteIfVersion("lock", "c", "stale")->has_value());
  auto replaced = storage_->WriteIfVersion("lock", "c", **created);
  ASSERT_TRUE(replaced.ok() && replaced->has_value());
  EXPECT_EQ(Slurp("lock"), "c");
  EXPECT_FALSE(*storage_->DeleteIfVersion("lock", **created));
  EXPECT_TRUE(*storage_->DeleteIfVersion("lock", **replaced));
  EXPECT_FALSE(storage_->ReadVersioned("lock")->has_value());
  EXPECT_FALSE(*storage_->DeleteIfVersion("lock", **replaced));
}

}  // namespace
}  // namespace mm
