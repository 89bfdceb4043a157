// Runs against a real S3-compatible server when these are set (skipped otherwise):
//   MM_TEST_S3_ENDPOINT  host:port or http://host:port
//   MM_TEST_S3_BUCKET    an existing bucket the tests may write under a unique prefix
//   MM_TEST_S3_AK / MM_TEST_S3_SK   access and secret key
// The server must not auto-create buckets (SeaweedFS: -s3.autoCreateBucket=false), or the
// missing-bucket test cannot see the failure it checks.
#include "storage/s3_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <thread>

namespace mm {
namespace {

constexpr size_t kPart = 5 << 20;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Deterministic bytes whose every position differs from its neighbours in a part.
std::string Pattern(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  std::mt19937 rng(seed);
  for (size_t i = 0; i < n; i += 4) {
    uint32_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<size_t>(4, n - i));
  }
  return out;
}

class S3StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_.endpoint = Env("MM_TEST_S3_ENDPOINT");
    base_.bucket = Env("MM_TEST_S3_BUCKET");
    base_.access_key = Env("MM_TEST_S3_AK");
    base_.secret_key = Env("MM_TEST_S3_SK");
    if (base_.endpoint.empty() || base_.bucket.empty() || base_.access_key.empty() ||
        base_.secret_key.empty()) {
      GTEST_SKIP() << "set MM_TEST_S3_ENDPOINT, MM_TEST_S3_BUCKET, MM_TEST_S3_AK and "
                      "MM_TEST_S3_SK to run the S3 tests against a real server";
    }
    base_.part_size = kPart;
    base_.max_retries = 2;
    std::random_device rd;
    base_.prefix = StrCat("mm-test/", ::getpid(), "-", rd() % 1000000, "/",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto storage = S3Storage::Open(base_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
  }
  void TearDown() override {
    if (storage_) {
      EXPECT_TRUE(storage_->DeletePrefix("").ok());
    }
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

  S3Options base_;
  std::unique_ptr<S3Storage> storage_;
};

TEST_F(S3StorageTest, SmallFileRoundTripWithRewritePrefix) {
  auto file = storage_->OpenWrite("dir/small.npy");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("HEADER??").ok());
  ASSERT_TRUE((*file)->Append("|body").ok());
  EXPECT_FALSE(*storage_->Exists("dir/small.npy")) << "visible before Close";
  ASSERT_TRUE((*file)->RewritePrefix("HEADER42").ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE(*storage_->Exists("dir/small.npy"));
  EXPECT_EQ(ReadAll("dir/small.npy"), "HEADER42|body");
  EXPECT_EQ(storage_->ImportPath("dir/small.npy"), base_.prefix + "/dir/small.npy");
  EXPECT_EQ(storage_->Describe(), StrCat("s3://", base_.bucket, "/", base_.prefix));

  Write("empty.bin", "");
  auto empty = storage_->OpenRead("empty.bin");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->Size(), 0u);
  char c;
  EXPECT_EQ(*(*empty)->ReadAt(0, 1, &c), 0u);
}

TEST_F(S3StorageTest, MultipartRoundTripWithRewritePrefixAndRangedReads) {
  const std::string content = Pattern(2 * kPart + 1234567, 7);
  auto file = storage_->OpenWrite("big/data.bin");
  ASSERT_TRUE(file.ok());
  // Uneven appends, some crossing part boundaries.
  size_t pos = 0;
  size_t step = 1;
  while (pos < content.size()) {
    size_t n = std::min(content.size() - pos, step);
    ASSERT_TRUE((*file)->Append(std::string_view(content).substr(pos, n)).ok());
    pos += n;
    step = step * 7 % 3000001 + 1;
  }
  EXPECT_EQ((*file)->Size(), content.size());
  std::string header(WritableFile::kMaxPrefixRewrite, 'H');
  ASSERT_TRUE((*file)->RewritePrefix(header).ok());
  Status closed = (*file)->Close();
  ASSERT_TRUE(closed.ok()) << closed;
  std::string want = header + content.substr(header.size());

  auto read = storage_->OpenRead("big/data.bin");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ((*read)->Size(), want.size());
  EXPECT_TRUE(ReadAll("big/data.bin") == want);

  // Ranged reads from several threads, across part boundaries and past the end.
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t off : {uint64_t{0}, kPart - 10 + t, 2 * kPart - 3 + t,
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

TEST_F(S3StorageTest, ExactlyOnePartIsOnePut) {
  const std::string content = Pattern(kPart, 3);
  auto file = storage_->OpenWrite("one-part.bin");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(content).ok());
  ASSERT_TRUE((*file)->RewritePrefix("X").ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE(ReadAll("one-part.bin") == "X" + content.substr(1));
}

TEST_F(S3StorageTest, AbortAndDestructionLeaveNothing) {
  {
    auto file = storage_->OpenWrite("aborted.bin");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(Pattern(2 * kPart + 10, 1)).ok());
    ASSERT_TRUE((*file)->Abort().ok());
    EXPECT_EQ((*file)->Close().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    auto file = storage_->OpenWrite("dropped.bin");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(Pattern(kPart + 10, 2)).ok());
  }
  auto listed = storage_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->empty());
  EXPECT_FALSE(*storage_->Exists("aborted.bin"));
}

TEST_F(S3StorageTest, ListPaginatesAndDeletePrefixIsDirectoryScoped) {
  S3Options paged = base_;
  paged.list_page_size = 2;
  auto storage = S3Storage::Open(paged);
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
  auto all = storage_->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);

  ASSERT_TRUE(storage_->DeletePrefix("c").ok());
  auto left = storage_->List("");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].path, "cc/6.npy");
  ASSERT_TRUE(storage_->Delete("cc/6.npy").ok());
  ASSERT_TRUE(storage_->Delete("cc/6.npy").ok()) << "deleting what is absent succeeds";
  EXPECT_TRUE(storage_->List("")->empty());
}

TEST_F(S3StorageTest, MissingObjectIsNotFound) {
  auto file = storage_->OpenRead("no/such.npy");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  std::string want = StrCat("s3://", base_.bucket, "/", base_.prefix, "/no/such.npy");
  EXPECT_NE(std::string(file.status().message()).find(want), std::string::npos)
      << file.status();
  EXPECT_FALSE(*storage_->Exists("no/such.npy"));
  EXPECT_EQ(storage_->OpenWrite("../x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(S3StorageTest, MissingBucketWithCheckIsNotFoundAtOpen) {
  S3Options options = base_;
  options.bucket = "mm-test-no-such-bucket";
  auto storage = S3Storage::Open(options);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kNotFound) << storage.status();
  std::string msg(storage.status().message());
  EXPECT_NE(msg.find("mm-test-no-such-bucket"), std::string::npos) << msg;
  EXPECT_NE(msg.find(base_.endpoint.substr(base_.endpoint.find("//") == std::string::npos
                                               ? 0
                                               : base_.endpoint.find("//") + 2)),
            std::string::npos)
      << msg;
}

TEST_F(S3StorageTest, MissingBucketWithoutCheckFailsAtWrite) {
  S3Options options = base_;
  options.bucket = "mm-test-no-such-bucket";
  options.check_bucket = false;
  auto storage = S3Storage::Open(options);
  ASSERT_TRUE(storage.ok()) << storage.status();
  for (size_t size : {size_t{10}, 2 * kPart}) {
    auto file = (*storage)->OpenWrite("x.bin");
    ASSERT_TRUE(file.ok());
    Status s = (*file)->Append(Pattern(size, 5));
    if (s.ok()) s = (*file)->Close();
    ASSERT_FALSE(s.ok()) << "the server created the bucket on write; start SeaweedFS with "
                            "-s3.autoCreateBucket=false";
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_NE(std::string(s.message()).find("bucket 'mm-test-no-such-bucket'"),
              std::string::npos)
        << s;
  }
  auto listed = (*storage)->List("");
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kNotFound) << listed.status();
}

TEST_F(S3StorageTest, WrongSecretIsPermissionDeniedAndNeverPrinted) {
  S3Options options = base_;
  options.secret_key = "definitely-wrong-secret-0123456789";
  auto storage = S3Storage::Open(options);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kPermissionDenied) << storage.status();
  std::string msg(storage.status().message());
  // The access key id is a credential too (README "Secrets"): the message says which keys
  // were refused without quoting either.
  EXPECT_NE(msg.find("refused the access key"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(options.access_key), std::string::npos) << msg;
  EXPECT_EQ(msg.find(options.secret_key), std::string::npos) << msg;

  options.check_bucket = false;
  auto unchecked = S3Storage::Open(options);
  ASSERT_TRUE(unchecked.ok());
  auto file = (*unchecked)->OpenWrite("denied.bin");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("x").ok());
  Status s = (*file)->Close();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(std::string(s.message()).find(options.secret_key), std::string::npos) << s;
}

TEST_F(S3StorageTest, UnreachableEndpointIsUnavailableQuickly) {
  S3Options options = base_;
  options.endpoint = "127.0.0.1:1";  // nothing listens on port 1
  options.max_retries = 1;
  auto start = std::chrono::steady_clock::now();
  auto storage = S3Storage::Open(options);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kUnavailable) << storage.status();
  EXPECT_NE(std::string(storage.status().message()).find("127.0.0.1:1"), std::string::npos)
      << storage.status();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(S3StorageOptionsTest, BadOptionsAreInvalidArgument) {
  S3Options options;
  options.endpoint = "127.0.0.1:1";
  options.bucket = "b";
  options.access_key = "ak";
  options.secret_key = "sk";
  options.check_bucket = false;
  ASSERT_TRUE(S3Storage::Open(options).ok());
  auto with = [&](auto change) {
    S3Options o = options;
    change(o);
    return S3Storage::Open(o).status().code();
  };
  EXPECT_EQ(with([](S3Options& o) { o.bucket = ""; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.secret_key = ""; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.part_size = 1 << 20; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.endpoint = "http://h:1/path"; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](S3Options& o) { o.prefix = "a/../.."; }),
            absl::StatusCode::kInvalidArgument);
}

// useIAM on AWS: the environment's keys when set, else (no web identity either) the EC2
// instance role, whose metadata service is named when it cannot be reached.
TEST(S3StorageOptionsTest, IamTakesTheEnvironmentElseTheInstanceRole) {
  const char* names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ROLE_ARN",
                         "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
  std::vector<std::optional<std::string>> saved;
  for (const char* name : names) {
    const char* v = std::getenv(name);
    saved.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    ::unsetenv(name);
  }
  ::setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
  S3Options options;
  options.endpoint = "127.0.0.1:1";
  options.bucket = "b";
  options.use_iam = true;
  options.check_bucket = false;
  options.max_retries = 0;
  auto storage = S3Storage::Open(options);
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto exists = (*storage)->Exists("x");
  EXPECT_EQ(exists.status().code(), absl::StatusCode::kUnavailable);
  const std::string msg(exists.status().message());
  EXPECT_NE(msg.find("EC2 instance metadata service (http://127.0.0.1:1)"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("cloud aws"), std::string::npos) << msg;
  ::setenv("AWS_ACCESS_KEY_ID", "envak", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsk", 1);
  auto with_env = S3Storage::Open(options);
  EXPECT_TRUE(with_env.ok()) << with_env.status();
  for (size_t i = 0; i < saved.size(); ++i) {
    if (saved[i]) {
      ::setenv(names[i], saved[i]->c_str(), 1);
    } else {
      ::unsetenv(names[i]);
    }
  }
}

TEST(S3StorageOptionsTest, DescribeAndImportPathNeedNoServer) {
  S3Options options;
  options.endpoint = "http://127.0.0.1:1";
  options.bucket = "bkt";
  options.access_key = "ak";
  options.secret_key = "sk";
  options.prefix = "/root/dir/";
  options.check_bucket = false;
  auto storage = S3Storage::Open(options);
  ASSERT_TRUE(storage.ok());
  EXPECT_EQ((*storage)->Describe(), "s3://bkt/root/dir");
  EXPECT_EQ((*storage)->ImportPath("c/1.npy"), "root/dir/c/1.npy");
  options.prefix = "";
  auto bare = S3Storage::Open(options);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->Describe(), "s3://bkt");
  EXPECT_EQ((*bare)->ImportPath("c/1.npy"), "c/1.npy");
}

}  // namespace
}  // namespace mm
