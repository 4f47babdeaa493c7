// The writer's batches and overload bounds: an operation that fails rolls
// back alone, a full queue refuses at once, and a write whose caller's
// deadline passed while it waited is never applied. A lent write
// (storage/lent_transaction.h) runs on its caller's thread and commits as
// any write.
#include "storage/writer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/lent_transaction.h"
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

int NiceOfThisThread() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}

TEST(WriterTest, ALentOperationRunsOnTheCallersThreadAndIsCommitted) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  absl::Status status = RunLent(writer, [&](MDB_txn* txn) {
    ran_on = std::this_thread::get_id();
    return PutKey("lent", false)(txn);
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(ran_on, caller);
  EXPECT_TRUE(Stored(env.get(), "lent"));
}

TEST(WriterTest, AFailedLentOperationRollsBackAloneAndTheWriterGoesOn) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Status status = RunLent(writer, [](MDB_txn* txn) -> absl::Status {
    return PutKey("half", /*fail=*/true)(txn);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_FALSE(Stored(env.get(), "half"))
      << "the failed operation's put stayed";
  EXPECT_TRUE(writer.SubmitAndWait(PutKey("next", false)).ok());
  EXPECT_TRUE(Stored(env.get(), "next"));
}

TEST(WriterTest, WritesQueuedWhileTheLoanIsOutCommitWithIt) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Notification applying, release;
  std::thread borrower([&] {
    EXPECT_TRUE(RunLent(writer, [&](MDB_txn* txn) {
                  applying.Notify();
                  release.WaitForNotification();
                  return PutKey("lent", false)(txn);
                }).ok());
  });
  applying.WaitForNotification();  // the writer waits for the borrower
  std::atomic<int> answered = 0;
  for (const char* key : {"a", "b"}) {
    writer.Submit(PutKey(key, false), [&answered](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      ++answered;
    });
  }
  release.Notify();
  borrower.join();
  writer.Stop();
  EXPECT_EQ(answered.load(), 2);
  for (const char* key : {"lent", "a", "b"}) {
    EXPECT_TRUE(Stored(env.get(), key)) << key;
  }
}

TEST(WriterTest, ALentWriteTheWriterRefusesNeverRunsItsOperation) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  writer.Stop();
  bool ran = false;
  absl::Status status = RunLent(writer, [&](MDB_txn*) {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_FALSE(ran);
}

TEST(WriterTest, LoweringThePriorityChangesOnlyTheCallingThread) {
  const int before = NiceOfThisThread();
  const int lower = std::min(19, before + 3);
  int seen = before;
  std::thread background([&] {
    EXPECT_TRUE(LowerThisThreadsPriority(lower).ok());
    seen = NiceOfThisThread();
  });
  background.join();
  EXPECT_EQ(seen, lower);
  EXPECT_EQ(NiceOfThisThread(), before) << "the caller's priority changed";
  EXPECT_TRUE(LowerThisThreadsPriority(0).ok()) << "0 leaves it as it is";
  EXPECT_EQ(NiceOfThisThread(), before);
}

}  // namespace
}  // namespace lmdbapi::storage
