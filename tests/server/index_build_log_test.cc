// The server's index build log: its progress line, and its health service
// following the builds of a real database.
#include "server/observability/index_build_log.h"

#include "gtest/gtest.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::server {
namespace {

TEST(IndexBuildLogTest, ProgressLineHasCountPercentRateAndEta) {
  storage::IndexBuildProgress build;
  build.table = "permits";
  build.index = "by_x";
  build.state = storage::IndexState::kBuilding;
  build.built = 412000;
  build.total = 1000000;
  EXPECT_EQ(ProgressLine(build, 95000),
            "index permits.by_x: 412000/1000000 records (41%), 95000/s, ETA "
            "6 s");
  EXPECT_EQ(ProgressLine(build, 0),
            "index permits.by_x: 412000/1000000 records (41%)");
  build.built = 1000100;  // writes added records while it built
  EXPECT_EQ(ProgressLine(build, 1000),
            "index permits.by_x: 1000100/1000000 records (100%), 1000/s, ETA "
            "0 s");
}

TEST(IndexBuildLogTest, PollsUntilTheBuildsAreDoneAndStops) {
  testing::TempDir dir;
  auto db = testing::OpenPermitDb(dir.path());
  for (int i = 0; i < 100; ++i) {
    test::Permit p = testing::MakePermit("Acme", "NY", test::PENDING, i);
    ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
  }
  IndexBuildLog log(db.get(), absl::Milliseconds(5), absl::Milliseconds(5));
  ASSERT_TRUE(db->Rebuild("permits", "").ok());
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  absl::SleepFor(absl::Milliseconds(30));  // a few polls
  log.Stop();
  for (const storage::IndexBuildProgress& b : db->IndexBuilds()) {
    EXPECT_EQ(b.state, storage::IndexState::kReady) << b.index;
  }
}

}  // namespace
}  // namespace lmdbapi::server
