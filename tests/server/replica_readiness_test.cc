// ReplicaReadiness: when a replica reports lmdbapi.ready NOT_SERVING
// (server/replication/replica_readiness.h). The servers' side of it is in
// tests/replication/replicated_shard_test.py.
#include "server/replication/replica_readiness.h"

#include <chrono>

#include "gtest/gtest.h"

namespace lmdbapi::server {
namespace {

using Clock = ReplicaReadiness::Clock;
using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point() + seconds(100);

TEST(ReplicaReadinessTest, ReadyWithinTheLagOnceALeaderIsKnown) {
  ReplicaReadiness r(10, seconds(2), kStart);
  EXPECT_TRUE(r.Update(/*committed=*/50, /*handed=*/45, /*waiting=*/5,
                       /*leader_known=*/true, kStart));
  EXPECT_EQ(r.behind(), 10u);
}

TEST(ReplicaReadinessTest, NotReadyWhileMoreThanTheLagWaitsToBeApplied) {
  ReplicaReadiness r(10, seconds(2), kStart);
  // Committed but not handed to the writer yet.
  EXPECT_FALSE(r.Update(300, 100, 0, true, kStart));
  EXPECT_EQ(r.behind(), 200u);
  // Handed over, not applied: the writer's queue counts too.
  EXPECT_FALSE(r.Update(300, 300, 64, true, kStart + seconds(1)));
  EXPECT_EQ(r.behind(), 64u);
  EXPECT_TRUE(r.Update(300, 300, 0, true, kStart + seconds(2)));
}

TEST(ReplicaReadinessTest, AnEntryHandedOverBeyondTheCommitCountsNothing) {
  ReplicaReadiness r(0, seconds(2), kStart);
  EXPECT_TRUE(r.Update(5, 7, 0, true, kStart));
  EXPECT_EQ(r.behind(), 0u);
}

TEST(ReplicaReadinessTest, NotReadyAfterItsStartUntilALeaderOrTheGrace) {
  ReplicaReadiness r(10, seconds(2), kStart);
  EXPECT_FALSE(r.Update(0, 0, 0, false, kStart + seconds(1)));
  // A lone replica serves what it has once the grace is over.
  EXPECT_TRUE(r.Update(0, 0, 0, false, kStart + seconds(2)));
}

TEST(ReplicaReadinessTest, ALeaderHeardOnceIsRemembered) {
  ReplicaReadiness r(10, seconds(2), kStart);
  EXPECT_TRUE(r.Update(3, 3, 0, true, kStart));
  EXPECT_TRUE(r.Update(3, 3, 0, false, kStart + seconds(1)));
}

}  // namespace
}  // namespace lmdbapi::server
