#include "storage/committing_file.h"

#include <gtest/gtest.h>

#include <string>

namespace mm {
namespace {

// Records which steps ran; fails the ones it is told to.
struct Steps {
  int commits = 0;
  int discards = 0;
  bool fail_append = false;
  bool fail_commit = false;
  bool fail_discard = false;
};

class FakeFile : public CommittingFile {
 public:
  explicit FakeFile(Steps* steps) : CommittingFile("fake.bin"), steps_(steps) {}
  ~FakeFile() override { AbortIfOpen(); }
  uint64_t Size() const override { return data_.size(); }
  const std::string& data() const { return data_; }

 private:
  Status DoAppend(std::string_view data) override {
    if (steps_->fail_append) return absl::UnavailableError("append failed");
    data_.append(data);
    return absl::OkStatus();
  }
  Status DoRewritePrefix(std::string_view data) override {
    data_.replace(0, data.size(), data);
    return absl::OkStatus();
  }
  Status Commit() override {
    ++steps_->commits;
    return steps_->fail_commit ? absl::UnavailableError("commit failed") : absl::OkStatus();
  }
  Status Discard() override {
    ++steps_->discards;
    return steps_->fail_discard ? absl::InternalError("discard failed") : absl::OkStatus();
  }

  Steps* steps_;
  std::string data_;
};

TEST(CommittingFileTest, CloseCommitsOnceAndThenRefusesWrites) {
  Steps steps;
  FakeFile file(&steps);
  ASSERT_TRUE(file.Append("abcdef").ok());
  ASSERT_TRUE(file.RewritePrefix("XY").ok());
  EXPECT_EQ(file.data(), "XYcdef");
  ASSERT_TRUE(file.Close().ok());
  EXPECT_TRUE(file.Close().ok());
  EXPECT_TRUE(file.Abort().ok());
  EXPECT_EQ(steps.commits, 1);
  EXPECT_EQ(steps.discards, 0);
  EXPECT_EQ(file.Append("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(file.RewritePrefix("x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CommittingFileTest, RewritePrefixPastTheWrittenBytesIsNotKept) {
  Steps steps;
  FakeFile file(&steps);
  ASSERT_TRUE(file.Append("abc").ok());
  EXPECT_EQ(file.RewritePrefix("abcd").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(file.Append("d").ok());
  ASSERT_TRUE(file.Close().ok());
  EXPECT_EQ(steps.commits, 1);
}

TEST(CommittingFileTest, FirstWriteErrorSticksAndCloseAborts) {
  Steps steps;
  FakeFile file(&steps);
  steps.fail_append = true;
  EXPECT_EQ(file.Append("a").code(), absl::StatusCode::kUnavailable);
  steps.fail_append = false;
  EXPECT_EQ(file.Append("b").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(file.Close().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(steps.commits, 0);
  EXPECT_EQ(steps.discards, 1);
  EXPECT_EQ(file.Close().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CommittingFileTest, FailedCommitAbortsAndReportsTheCommitError) {
  Steps steps;
  steps.fail_commit = true;
  steps.fail_discard = true;
  FakeFile file(&steps);
  EXPECT_EQ(file.Close().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(steps.discards, 1);
  EXPECT_EQ(file.Close().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CommittingFileTest, AbortDiscardsOnceAndCloseThenFails) {
  Steps steps;
  FakeFile file(&steps);
  ASSERT_TRUE(file.Abort().ok());
  EXPECT_TRUE(file.Abort().ok());
  EXPECT_EQ(steps.discards, 1);
  Status closed = file.Close();
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(closed.message()), "'fake.bin' was aborted; cannot close it");
  EXPECT_EQ(steps.commits, 0);
}

TEST(CommittingFileTest, DestructionWhileOpenDiscards) {
  Steps steps;
  { FakeFile file(&steps); }
  EXPECT_EQ(steps.discards, 1);
  {
    FakeFile file(&steps);
    ASSERT_TRUE(file.Close().ok());
  }
  EXPECT_EQ(steps.discards, 1);
}

}  // namespace
}  // namespace mm
