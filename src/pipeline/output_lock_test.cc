#include "pipeline/output_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include "storage/local_storage.h"
#include "storage/memory_storage.h"
#include "storage/azure_client.h"
#include "storage/azure_shared_key.h"
#include "storage/azure_storage.h"
#include "storage/s3_storage.h"

// The S3 cases run against a real server when MM_TEST_S3_ENDPOINT, MM_TEST_S3_BUCKET,
// MM_TEST_S3_AK and MM_TEST_S3_SK are set (as s3_storage_test.cc), and are skipped otherwise;
// the Azure cases likewise with MM_TEST_AZURE_* (Azurite, as azure_storage_test.cc).

namespace mm {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class Kind { kMemory, kLocal, kS3, kAzure };

// Opens storages of one kind that all see the same output, as separate runs would.
class OutputLockTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Kind::kMemory:
        memory_ = std::make_shared<MemoryStorage>();
        break;
      case Kind::kLocal: {
        std::string tmpl = (fs::temp_directory_path() / "mm-output-lock-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        break;
      }
      case Kind::kS3: {
        s3_.endpoint = Env("MM_TEST_S3_ENDPOINT");
        s3_.bucket = Env("MM_TEST_S3_BUCKET");
        s3_.access_key = Env("MM_TEST_S3_AK");
        s3_.secret_key = Env("MM_TEST_S3_SK");
        if (s3_.endpoint.empty() || s3_.bucket.empty() || s3_.access_key.empty() ||
            s3_.secret_key.empty()) {
          GTEST_SKIP() << "set MM_TEST_S3_* to run the S3 lock tests against a real server";
        }
        std::random_device rd;
        s3_.prefix = StrCat("mm-test/lock-", ::getpid(), "-", rd() % 1000000);
        break;
      }
      case Kind::kAzure: {
        azure_.endpoint = Env("MM_TEST_AZURE_ENDPOINT");
        azure_.account = Env("MM_TEST_AZURE_ACCOUNT");
        azure_.key = Env("MM_TEST_AZURE_KEY");
        if (azure_.endpoint.empty() || azure_.account.empty() || azure_.key.empty()) {
          GTEST_SKIP() << "set MM_TEST_AZURE_* to run the Azure lock tests against Azurite";
        }
        azure_.container = "mm-lock-test";
        ASSERT_NO_FATAL_FAILURE(CreateAzureContainer());
        std::random_device rd;
        azure_.prefix = StrCat("lock-", ::getpid(), "-", rd() % 1000000);
        break;
      }
    }
    storage_ = Open();
  }
  void TearDown() override {
    if (storage_) storage_->DeletePrefix("").IgnoreError();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Another handle on the same output (for local and S3, an independent one).
  std::shared_ptr<Storage> Open() {
    switch (GetParam()) {
      case Kind::kMemory:
        return memory_;
      case Kind::kLocal: {
        auto s = LocalStorage::Open(dir_);
        EXPECT_TRUE(s.ok()) << s.status();
        return s.ok() ? std::shared_ptr<Storage>(std::move(*s)) : nullptr;
      }
      case Kind::kS3: {
        auto s = S3Storage::Open(s3_);
        EXPECT_TRUE(s.ok()) << s.status();
        return s.ok() ? std::shared_ptr<Storage>(std::move(*s)) : nullptr;
      }
      case Kind::kAzure: {
        auto s = AzureStorage::Open(azure_);
        EXPECT_TRUE(s.ok()) << s.status();
        return s.ok() ? std::shared_ptr<Storage>(std::move(*s)) : nullptr;
      }
    }
    return nullptr;
  }

  // Create Container, signed with the account key; an existing one (409) is fine.
  void CreateAzureContainer() {
    AzureClient::Config config;
    std::string rest = azure_.endpoint.substr(azure_.endpoint.find("://") + 3);
    config.scheme = "http";
    config.host = rest.substr(0, rest.find('/'));
    config.base_path = rest.substr(rest.find('/'));
    config.account = azure_.account;
    config.container = azure_.container;
    auto key = azure::DecodeAccountKey(azure_.key, "MM_TEST_AZURE_KEY");
    ASSERT_TRUE(key.ok());
    config.key = *key;
    auto client = AzureClient::Create(config);
    ASSERT_TRUE(client.ok());
    AzureClient::Request request;
    request.method = "PUT";
    request.query = {{"restype", "container"}};
    auto response = (*client)->Send(request, "Create Container");
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_TRUE(response->status == 201 || response->status == 409) << response->body;
  }

  OutputLockOptions Options(seconds lease = seconds(60), bool force = false) {
    OutputLockOptions o;
    o.command = "dump";
    o.lease = lease;
    o.force = force;
    o.on_lost = [this](const Status&) { ++lost_calls_; };
    return o;
  }

  Result<LockRecord> ReadLock() {
    ASSIGN_OR_RETURN(std::optional<VersionedFile> f,
                     storage_->ReadVersioned(OutputLock::kFileName));
    if (!f) return absl::NotFoundError("no lock file");
    return LockRecord::FromJson(f->content, "lock");
  }

  void PutLock(const LockRecord& r) {
    auto f = storage_->OpenWrite(OutputLock::kFileName);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(r.ToJson()).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  LockRecord Foreign(int64_t expires_ms) {
    LockRecord r;
    r.owner = "someone-else";
    r.host = "otherhost";
    r.pid = 4242;
    r.command = "dump";
    r.started_ms = NowMs() - 10000;
    r.expires_ms = expires_ms;
    return r;
  }

  std::shared_ptr<MemoryStorage> memory_;
  std::string dir_;
  S3Options s3_;
  AzureOptions azure_;
  std::shared_ptr<Storage> storage_;
  std::atomic<int> lost_calls_{0};
};

TEST_P(OutputLockTest, SecondRunIsRefusedNamingTheFirstUntilReleased) {
  auto first = OutputLock::Acquire(storage_.get(), Options());
  ASSERT_TRUE(first.ok()) << first.status();
  auto on_disk = ReadLock();
  ASSERT_TRUE(on_disk.ok()) << on_disk.status();
  EXPECT_EQ(on_disk->owner, (*first)->record().owner);
  EXPECT_EQ(on_disk->pid, ::getpid());
  EXPECT_GT(on_disk->expires_ms, NowMs() + 50000);

  auto other = Open();
  auto second = OutputLock::Acquire(other.get(), Options());
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  const std::string message(second.status().message());
  EXPECT_NE(message.find(StrCat("pid ", ::getpid())), std::string::npos) << message;
  EXPECT_NE(message.find(on_disk->host), std::string::npos) << message;
  EXPECT_NE(message.find("--force-unlock"), std::string::npos) << message;
  EXPECT_NE(message.find("lease expires"), std::string::npos) << message;

  ASSERT_TRUE((*first)->Release().ok());
  EXPECT_EQ(ReadLock().status().code(), absl::StatusCode::kNotFound);
  auto third = OutputLock::Acquire(other.get(), Options());
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_P(OutputLockTest, ExpiredLockIsTakenOverLiveOneOnlyWhenForced) {
  PutLock(Foreign(NowMs() + 60000));
  auto refused = OutputLock::Acquire(storage_.get(), Options());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("otherhost, pid 4242"), std::string::npos)
      << refused.status();
  auto forced = OutputLock::Acquire(storage_.get(), Options(seconds(60), /*force=*/true));
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(ReadLock()->owner, (*forced)->record().owner);
  ASSERT_TRUE((*forced)->Release().ok());

  PutLock(Foreign(NowMs() - 1000));
  auto taken = OutputLock::Acquire(storage_.get(), Options());
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(ReadLock()->owner, (*taken)->record().owner);
}

TEST_P(OutputLockTest, UnreadableLockIsRefusedUnlessForced) {
  auto f = storage_->OpenWrite(OutputLock::kFileName);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("{not json").ok());
  ASSERT_TRUE((*f)->Close().ok());
  auto refused = OutputLock::Acquire(storage_.get(), Options());
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--force-unlock"), std::string::npos);
  auto forced = OutputLock::Acquire(storage_.get(), Options(seconds(60), /*force=*/true));
  EXPECT_TRUE(forced.ok()) << forced.status();
}

TEST_P(OutputLockTest, LeaseIsRenewedWhileHeld) {
  auto lock = OutputLock::Acquire(storage_.get(), Options(seconds(2)));
  ASSERT_TRUE(lock.ok()) << lock.status();
  const int64_t first_expiry = ReadLock()->expires_ms;
  std::this_thread::sleep_for(std::chrono::milliseconds(2600));
  auto now = ReadLock();
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_GT(now->expires_ms, first_expiry);
  EXPECT_GT(now->expires_ms, NowMs());  // never lapsed
  EXPECT_TRUE((*lock)->lost().ok());
  EXPECT_EQ(lost_calls_.load(), 0);
}

TEST_P(OutputLockTest, LockTakenOverIsNoticedAndNotDeleted) {
  auto lock = OutputLock::Acquire(storage_.get(), Options(seconds(2)));
  ASSERT_TRUE(lock.ok()) << lock.status();
  PutLock(Foreign(NowMs() + 60000));  // another run forced it
  for (int i = 0; i < 40 && lost_calls_.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(lost_calls_.load(), 1);
  EXPECT_EQ((*lock)->lost().code(), absl::StatusCode::kAborted);
  EXPECT_NE((*lock)->lost().message().find("otherhost"), std::string::npos);
  ASSERT_TRUE((*lock)->Release().ok());
  EXPECT_EQ(ReadLock()->owner, "someone-else");  // the new holder's lock stays
}

// Runs starting at the same instant: exactly one wins, for a fresh output and for the
// takeover of one expired lock.
TEST_P(OutputLockTest, OfConcurrentRunsExactlyOneWins) {
  for (bool expired_first : {false, true}) {
    if (expired_first) PutLock(Foreign(NowMs() - 1000));
    constexpr int kRuns = 6;
    std::vector<std::shared_ptr<Storage>> storages;
    for (int i = 0; i < kRuns; ++i) storages.push_back(Open());
    std::vector<std::unique_ptr<OutputLock>> won(kRuns);
    std::vector<Status> errors(kRuns);
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kRuns; ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        auto lock = OutputLock::Acquire(storages[i].get(), Options());
        if (lock.ok()) {
          won[i] = std::move(*lock);
        } else {
          errors[i] = lock.status();
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    int winners = 0;
    for (int i = 0; i < kRuns; ++i) {
      if (won[i]) {
        ++winners;
        EXPECT_EQ(ReadLock()->owner, won[i]->record().owner);
      } else {
        EXPECT_EQ(errors[i].code(), absl::StatusCode::kFailedPrecondition) << errors[i];
      }
    }
    EXPECT_EQ(winners, 1) << "expired_first=" << expired_first;
    for (auto& w : won) {
      if (w) {
        ASSERT_TRUE(w->Release().ok());
      }
    }
  }
}

TEST(LockLeaseTest, FromEnvironment) {
  ::unsetenv("MM_LOCK_LEASE_SECONDS");
  EXPECT_EQ(*LockLeaseFromEnvironment(), seconds(60));
  ::setenv("MM_LOCK_LEASE_SECONDS", "5", 1);
  EXPECT_EQ(*LockLeaseFromEnvironment(), seconds(5));
  for (const char* bad : {"1", "86401", "x", "5s", "-3"}) {
    ::setenv("MM_LOCK_LEASE_SECONDS", bad, 1);
    auto lease = LockLeaseFromEnvironment();
    EXPECT_EQ(lease.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(lease.status().message().find("MM_LOCK_LEASE_SECONDS"), std::string::npos);
  }
  ::unsetenv("MM_LOCK_LEASE_SECONDS");
}

INSTANTIATE_TEST_SUITE_P(Storages, OutputLockTest,
                         ::testing::Values(Kind::kMemory, Kind::kLocal, Kind::kS3,
                                           Kind::kAzure),
                         [](const auto& info) {
                           switch (info.param) {
                             case Kind::kMemory: return std::string("Memory");
                             case Kind::kLocal: return std::string("Local");
                             case Kind::kS3: return std::string("S3");
                             case Kind::kAzure: return std::string("Azure");
                           }
                           return std::string("?");
                         });

}  // namespace
}  // namespace mm
