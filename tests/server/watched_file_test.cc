// WatchedFile: --jwks_file and --auth_policy are re-read when they change,
// at most once a second, and a file that stops parsing keeps what it said.
#include "server/access/watched_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace lmdbapi::server::access {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

// The file's text as a number; INVALID_ARGUMENT when it is not one.
absl::StatusOr<int> ParseNumber(const std::string& text) {
  int value;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError("not a number");
  }
  return value;
}

class WatchedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/watched-file-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/value";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Replaces the file with `text` (a new size, so a new stamp even within
  // the file system's clock tick).
  void Write(const std::string& text) {
    std::ofstream(path_ + ".new") << text;
    std::filesystem::rename(path_ + ".new", path_);
  }
  absl::StatusOr<std::unique_ptr<WatchedFile<int>>> Open() {
    return WatchedFile<int>::Open("--number_file", path_, ParseNumber, kStart);
  }

  std::string dir_, path_;
};

TEST_F(WatchedFileTest, OpenNamesTheFlagAndTheFileWhenItDoesNotRead) {
  EXPECT_EQ(Open().status().message(),
            "--number_file " + path_ + ": cannot read it");
  Write("seven");
  EXPECT_EQ(Open().status().message(),
            "--number_file " + path_ + ": not a number");
}

TEST_F(WatchedFileTest, AChangedFileIsReadAgainAfterASecond) {
  Write("7");
  auto file = Open();
  ASSERT_TRUE(file.ok()) << file.status();
  Write("42");
  EXPECT_EQ(*(*file)->Current(kStart + absl::Milliseconds(500)), 7)
      << "looked again within the second";
  EXPECT_EQ(*(*file)->Current(kStart + absl::Seconds(1)), 42);
}

TEST_F(WatchedFileTest, AFileThatStopsParsingKeepsWhatItSaid) {
  Write("7");
  auto file = Open();
  ASSERT_TRUE(file.ok()) << file.status();
  Write("not 7");
  EXPECT_EQ(*(*file)->Current(kStart + absl::Seconds(1)), 7);
  std::filesystem::remove(path_);
  EXPECT_EQ(*(*file)->Current(kStart + absl::Seconds(2)), 7);
  Write("100");
  EXPECT_EQ(*(*file)->Current(kStart + absl::Seconds(3)), 100);
}

}  // namespace
}  // namespace lmdbapi::server::access
