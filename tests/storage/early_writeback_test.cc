// EarlyWriteback starts the file's writeback only between Begin() and End(),
// over and over while a commit lasts, and leaves the file's bytes as they
// were written.
#include "storage/early_writeback.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace lmdbapi::storage {
namespace {

class EarlyWritebackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/early_writeback_test.XXXXXX";
    fd_ = mkstemp(path);
    ASSERT_GE(fd_, 0);
    path_ = path;
    // Dirty pages for the writeback to start on: 4 MiB, not synced.
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(pwrite(fd_, block.data(), block.size(), off_t{i} << 20),
                static_cast<ssize_t>(block.size()));
    }
  }
  void TearDown() override {
    close(fd_);
    unlink(path_.c_str());
  }

  // Waits (at most 5 s) until `writeback` has started writeback `n` times.
  static bool KickedAtLeast(const EarlyWriteback& writeback, uint64_t n) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (writeback.kicks() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  int fd_ = -1;
  std::string path_;
};

TEST_F(EarlyWritebackTest, StartsNothingBeforeACommitBegins) {
  EarlyWriteback writeback(fd_, absl::Milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(writeback.kicks(), 0u);
}

TEST_F(EarlyWritebackTest, StartsWritebackAgainAndAgainWhileACommitLasts) {
  EarlyWriteback writeback(fd_, absl::Milliseconds(1));
  writeback.Begin();
  EXPECT_TRUE(KickedAtLeast(writeback, 3));
  writeback.End();
}

TEST_F(EarlyWritebackTest, StopsStartingWritebackOnceTheCommitEnds) {
  EarlyWriteback writeback(fd_, absl::Milliseconds(1));
  writeback.Begin();
  ASSERT_TRUE(KickedAtLeast(writeback, 1));
  writeback.End();
  // A kick already past its check may still finish: let it.
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const uint64_t after_end = writeback.kicks();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(writeback.kicks(), after_end);
  // And a later commit is served by the same thread.
  writeback.Begin();
  EXPECT_TRUE(KickedAtLeast(writeback, after_end + 1));
  writeback.End();
}

TEST_F(EarlyWritebackTest, LeavesTheFileAsWritten) {
  {
    EarlyWriteback writeback(fd_, absl::Milliseconds(1));
    writeback.Begin();
    ASSERT_TRUE(KickedAtLeast(writeback, 2));
    writeback.End();
  }  // the thread stops with it
  ASSERT_EQ(fdatasync(fd_), 0);
  std::string back(4 << 20, '\0');
  ASSERT_EQ(pread(fd_, back.data(), back.size(), 0),
            static_cast<ssize_t>(back.size()));
  EXPECT_EQ(back, std::string(4 << 20, 'x'));
}

}  // namespace
}  // namespace lmdbapi::storage
