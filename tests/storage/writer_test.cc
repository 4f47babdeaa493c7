// The writer's batches and overload bounds: an operation that fails rolls
// back alone, a full queue refuses at once, and a write whose caller's
// deadline passed while it waited is never applied.
#include "storage/writer.h"

#include <chrono>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/lmdb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

std::unique_ptr<Environment> OpenEnv(const testing::TempDir& dir) {
  EnvOptions options;
  options.path = dir.path();
  options.map_size_bytes = uint64_t{16} << 20;
  options.durability = Durability::kNoSync;
  auto env = Environment::Open(options);
  EXPECT_TRUE(env.ok()) << env.status();
  return *std::move(env);
}

// An operation that holds the writer thread until `release` is notified.
Writer::Operation Hold(absl::Notification* started,
                       absl::Notification* release) {
  return [started, release](MDB_txn*) {
    started->Notify();
    release->WaitForNotification();
    return absl::OkStatus();
  };
}

// Puts `key` in the unnamed database; fails after the put when `fail`.
Writer::Operation PutKey(std::string key, bool fail) {
  return [key, fail](MDB_txn* txn) -> absl::Status {
    MDB_dbi dbi;
    if (int rc = mdb_dbi_open(txn, nullptr, 0, &dbi); rc != 0) {
      return absl::InternalError(mdb_strerror(rc));
    }
    absl::Status put = PutValue(txn, dbi, key, "v");
    if (!put.ok() || !fail) return put;
    return absl::FailedPreconditionError("refused after writing " + key);
  };
}

bool Stored(Environment* env, const std::string& key) {
  auto txn = Txn::BeginRead(env->raw());
  EXPECT_TRUE(txn.ok()) << txn.status();
  MDB_dbi dbi;
  EXPECT_EQ(mdb_dbi_open(txn->get(), nullptr, 0, &dbi), 0);
  return GetValue(txn->get(), dbi, key).ok();
}

TEST(WriterTest, AnOperationThatFailsHalfWayRollsBackAloneAndTheBatchCommits) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Notification started, release;
  writer.Submit(Hold(&started, &release), [](absl::Status) {});
  started.WaitForNotification();  // the next three queue as one batch
  std::vector<absl::Status> answers(3);
  const char* keys[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    writer.Submit(PutKey(keys[i], /*fail=*/i == 1),
                  [&answers, i](absl::Status s) { answers[i] = s; });
  }
  release.Notify();
  writer.Stop();
  EXPECT_TRUE(answers[0].ok()) << answers[0];
  EXPECT_EQ(answers[1].code(), absl::StatusCode::kFailedPrecondition)
      << answers[1];
  EXPECT_TRUE(answers[2].ok()) << answers[2];
  EXPECT_TRUE(Stored(env.get(), "a"));
  EXPECT_FALSE(Stored(env.get(), "b")) << "the failed operation's put stayed";
  EXPECT_TRUE(Stored(env.get(), "c"));
  EXPECT_EQ(writer.stats().nested_reruns, 1u);
  EXPECT_EQ(writer.stats().batches, 2u);
}

TEST(WriterTest, AFullQueueRefusesAtOnceAndRunsNothingOfTheRefused) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/1, /*max_queued=*/2);
  absl::Notification started, release;
  std::vector<absl::Status> answers(4);
  std::vector<absl::Notification> answered(4);
  writer.Submit(Hold(&started, &release), [&](absl::Status s) {
    answers[0] = s;
    answered[0].Notify();
  });
  started.WaitForNotification();  // the writer holds the first; queue empty
  int ran = 0;
  for (int i = 1; i < 4; ++i) {
    writer.Submit(
        [&ran](MDB_txn*) {
          ++ran;  // the writer thread alone runs operations
          return absl::OkStatus();
        },
        [&, i](absl::Status s) {
          answers[i] = s;
          answered[i].Notify();
        });
  }
  ASSERT_TRUE(answered[3].HasBeenNotified()) << "the third waiting write "
                                                "was not refused at once";
  EXPECT_EQ(answers[3].code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(answers[3].message().find("--max_queued_writes"), std::string::npos)
      << answers[3];
  release.Notify();
  for (int i = 0; i < 3; ++i) answered[i].WaitForNotification();
  writer.Stop();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(answers[i].ok()) << i << answers[i];
  EXPECT_EQ(ran, 2);  // the two queued ones, not the refused one
}

TEST(WriterTest, AWriteWhoseDeadlinePassedWhileQueuedIsNotApplied) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Notification started, release;
  writer.Submit(Hold(&started, &release), [](absl::Status) {});
  started.WaitForNotification();
  bool ran_late = false, ran_on_time = false;
  auto soon = std::chrono::system_clock::now() + std::chrono::milliseconds(1);
  absl::Status late, on_time;
  writer.Submit(
      [&](MDB_txn*) {
        ran_late = true;
        return absl::OkStatus();
      },
      [&](absl::Status s) { late = s; }, soon);
  writer.Submit(
      [&](MDB_txn*) {
        ran_on_time = true;
        return absl::OkStatus();
      },
      [&](absl::Status s) { on_time = s; },
      std::chrono::system_clock::now() + std::chrono::hours(1));
  while (std::chrono::system_clock::now() <= soon) {
  }
  release.Notify();
  writer.Stop();  // finishes every queued operation first
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded) << late;
  EXPECT_FALSE(ran_late);
  EXPECT_TRUE(on_time.ok()) << on_time;
  EXPECT_TRUE(ran_on_time);
}

}  // namespace
}  // namespace lmdbapi::storage
