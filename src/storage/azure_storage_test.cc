// Runs against a real Azure Blob service when these are set (skipped otherwise):
//   MM_TEST_AZURE_ENDPOINT  http://127.0.0.1:P/<account> (Azurite, scripts/azurite.sh)
//   MM_TEST_AZURE_ACCOUNT / MM_TEST_AZURE_KEY   the account and its base64 key
// Each test makes its own container and deletes what it wrote. Azurite checks every Shared
// Key signature as Azure does, so these tests also check the signing.
#include "storage/azure_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include "storage/azure_client.h"
#include "storage/azure_shared_key.h"

namespace mm {
namespace {

constexpr size_t kBlock = 1 << 20;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string Pattern(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<size_t>(4, n - i));
  }
  return out;
}

class AzureStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_.endpoint = Env("MM_TEST_AZURE_ENDPOINT");
    base_.account = Env("MM_TEST_AZURE_ACCOUNT");
    base_.key = Env("MM_TEST_AZURE_KEY");
    if (base_.endpoint.empty() || base_.account.empty() || base_.key.empty()) {
      GTEST_SKIP() << "set MM_TEST_AZURE_ENDPOINT, MM_TEST_AZURE_ACCOUNT and MM_TEST_AZURE_KEY "
                      "(scripts/azurite.sh start) to run the Azure Blob tests";
    }
    std::random_device rd;
    base_.container = StrCat("mm-test-", ::getpid(), "-", rd() % 1000000);
    base_.prefix = "root/dir";
    base_.block_size = kBlock;
    base_.max_retries = 1;
    base_.credentials_origin = "target.remote.ak/sk";
    ASSERT_EQ(ContainerRequest("PUT"), 201);
    auto storage = AzureStorage::Open(base_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
  }
  void TearDown() override {
    if (storage_) {
      EXPECT_EQ(ContainerRequest("DELETE"), 202);
    }
  }

  // Create Container / Delete Container, signed with the account key: its status.
  long ContainerRequest(const std::string& method) {
    AzureClient::Config config;
    std::string rest = base_.endpoint.substr(base_.endpoint.find("://") + 3);
    config.scheme = "http";
    config.host = rest.substr(0, rest.find('/'));
    config.base_path = rest.substr(rest.find('/'));
    config.account = base_.account;
    config.container = base_.container;
    config.key = *azure::DecodeAccountKey(base_.key, "MM_TEST_AZURE_KEY");
    auto client = AzureClient::Create(config);
    EXPECT_TRUE(client.ok());
    AzureClient::Request request;
    request.method = method;
    request.query = {{"restype", "container"}};
    auto response = (*client)->Send(request, method + " container");
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->status : 0;
  }

  void Write(const std::string& path, std::string_view content) {
    auto file = storage_->OpenWrite(path);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append(content).ok());
    Status closed = (*file)->Close();
    ASSERT_TRUE(closed.ok()) << closed;
  }
  std::string ReadAll(const std::string& path) {
    auto file = storage_->OpenRead(path);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return "";
    std::string out((*file)->Size(), '\0');
    auto n = (*file)->ReadAt(0, out.size(), out.data());
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok()) return "";
    out.resize(*n);
    return out;
  }

  AzureOptions base_;
  std::unique_ptr<AzureStorage> storage_;
};

TEST_F(AzureStorageTest, SmallFileRoundTripWithRewritePrefix) {
  auto file = storage_->OpenWrite("d/small.npy");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("HEADER??").ok());
  ASSERT_TRUE((*file)->Append("|body").ok());
  EXPECT_FALSE(*storage_->Exists("d/small.npy")) << "visible before Close";
  ASSERT_TRUE((*file)->RewritePrefix("HEADER42").ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE(*storage_->Exists("d/small.npy"));
  EXPECT_EQ(ReadAll("d/small.npy"), "HEADER42|body");
  EXPECT_EQ(storage_->ImportPath("d/small.npy"), "root/dir/d/small.npy");
  EXPECT_EQ(storage_->Describe(), StrCat("azure://", base_.container, "/root/dir"));

  Write("empty.bin", "");
  auto empty = storage_->OpenRead("empty.bin");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->Size(), 0u);
  char c;
  EXPECT_EQ(*(*empty)->ReadAt(0, 1, &c), 0u);
  // A name that needs encoding in the URL and in the signed resource.
  Write("odd name/a+b=c%d.npy", "odd");
  EXPECT_EQ(ReadAll("odd name/a+b=c%d.npy"), "odd");
}

TEST_F(AzureStorageTest, BlockListRoundTripWithRewritePrefixAndRangedReads) {
  const std::string content = Pattern(3 * kBlock + 12345, 7);
  auto file = storage_->OpenWrite("big/data.bin");
  ASSERT_TRUE(file.ok());
  size_t pos = 0, step = 1;
  while (pos < content.size()) {
    size_t n = std::min(content.size() - pos, step);
    ASSERT_TRUE((*file)->Append(std::string_view(content).substr(pos, n)).ok());
    pos += n;
    step = step * 7 % 700001 + 1;
  }
  EXPECT_FALSE(*storage_->Exists("big/data.bin")) << "staged blocks must not be visible";
  std::string header(WritableFile::kMaxPrefixRewrite, 'H');
  ASSERT_TRUE((*file)->RewritePrefix(header).ok());
  Status closed = (*file)->Close();
  ASSERT_TRUE(closed.ok()) << closed;
  std::string want = header + content.substr(header.size());

  auto read = storage_->OpenRead("big/data.bin");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ((*read)->Size(), want.size());
  EXPECT_TRUE(ReadAll("big/data.bin") == want);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t off : {uint64_t{0}, kBlock - 10 + t, 2 * kBlock - 3 + t,
                           uint64_t{want.size()} - 100 + t}) {
        char buf[200];
        auto n = (*read)->ReadAt(off, sizeof(buf), buf);
        size_t expect = std::min<size_t>(sizeof(buf), want.size() - off);
        if (!n.ok() || *n != expect || std::string(buf, *n) != want.substr(off, expect)) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  char buf[8];
  EXPECT_EQ(*(*read)->ReadAt(want.size(), sizeof(buf), buf), 0u);
}

TEST_F(AzureStorageTest, AbortLeavesNothingVisible) {
  {
    auto file = storage_->OpenWrite("aborted.bin");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(Pattern(2 * kBlock + 10, 1)).ok());
    ASSERT_TRUE((*file)->Abort().ok());
  }
  {
    auto file = storage_->OpenWrite("dropped.bin");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(Pattern(kBlock + 10, 2)).ok());
  }
  auto listed = storage_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->empty());
  EXPECT_FALSE(*storage_->Exists("aborted.bin"));
  EXPECT_EQ(*storage_->RemoveAbandonedWrites(""), 0);
}

TEST_F(AzureStorageTest, ListPaginatesAndDeletePrefixIsDirectoryScoped) {
  AzureOptions paged = base_;
  paged.list_page_size = 2;
  auto storage = AzureStorage::Open(paged);
  ASSERT_TRUE(storage.ok());
  storage_ = std::move(*storage);
  for (const char* p : {"c/3.npy", "c/1.npy", "c/sub/2.npy", "c/4.npy", "c/5.npy", "cc/6.npy"}) {
    Write(p, p);
  }
  auto c = storage_->List("c");
  ASSERT_TRUE(c.ok()) << c.status();
  std::vector<std::string> paths;
  for (auto& f : *c) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"c/1.npy", "c/3.npy", "c/4.npy", "c/5.npy",
                                             "c/sub/2.npy"}));
  EXPECT_EQ((*c)[0].size, 7u);
  ASSERT_TRUE(storage_->DeletePrefix("c").ok());
  auto all = storage_->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].path, "cc/6.npy");
  EXPECT_TRUE(storage_->Delete("cc/6.npy").ok());
  EXPECT_TRUE(storage_->Delete("cc/6.npy").ok()) << "deleting what is absent succeeds";
  EXPECT_EQ(storage_->OpenRead("cc/6.npy").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AzureStorageTest, CompareAndSwapByETag) {
  auto created = storage_->WriteIfVersion("lock", "one", std::nullopt);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_value());
  auto again = storage_->WriteIfVersion("lock", "two", std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->has_value()) << "If-None-Match: * on an existing blob";
  auto read = storage_->ReadVersioned("lock");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->content, "one");
  EXPECT_EQ((*read)->version, **created);
  auto renewed = storage_->WriteIfVersion("lock", "three", **created);
  ASSERT_TRUE(renewed.ok() && renewed->has_value());
  auto stale = storage_->WriteIfVersion("lock", "four", **created);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->has_value());
  EXPECT_FALSE(*storage_->DeleteIfVersion("lock", **created));
  EXPECT_TRUE(*storage_->DeleteIfVersion("lock", **renewed));
  auto gone = storage_->ReadVersioned("lock");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(AzureStorageTest, RefusalsNameTheContainerAndNeverTheKey) {
  AzureOptions missing = base_;
  missing.container = "mm-no-such-container";
  auto m = AzureStorage::Open(missing);
  ASSERT_EQ(m.status().code(), absl::StatusCode::kNotFound) << m.status();
  EXPECT_NE(m.status().message().find("'mm-no-such-container'"), std::string::npos);

  AzureOptions wrong = base_;
  wrong.key = azure::Base64Encode(std::string(64, 'x'));
  auto w = AzureStorage::Open(wrong);
  ASSERT_EQ(w.status().code(), absl::StatusCode::kPermissionDenied) << w.status();
  std::string message(w.status().message());
  EXPECT_NE(message.find("target.remote.ak/sk"), std::string::npos) << message;
  EXPECT_NE(message.find(base_.container), std::string::npos) << message;
  EXPECT_EQ(message.find(wrong.key), std::string::npos);
  EXPECT_EQ(message.find(base_.key), std::string::npos);

  AzureOptions garbled = base_;
  garbled.key = "not base64!";
  auto g = AzureStorage::Open(garbled);
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("[target.remote.sk]"), std::string::npos);
}

}  // namespace
}  // namespace mm
