// A lent write: its operation runs on the caller's thread in the writer's
// transaction and is committed as any write; a failure rolls back alone; a
// refused write never runs; the builder's thread lowers its own priority.
#include "storage/lent_transaction.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

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

absl::Status Put(MDB_txn* txn, const std::string& key) {
  MDB_dbi dbi;
  if (int rc = mdb_dbi_open(txn, nullptr, 0, &dbi); rc != 0) {
    return absl::InternalError(mdb_strerror(rc));
  }
  return PutValue(txn, dbi, key, "v");
}

bool Stored(Environment* env, const std::string& key) {
  auto txn = Txn::BeginRead(env->raw());
  EXPECT_TRUE(txn.ok()) << txn.status();
  MDB_dbi dbi;
  EXPECT_EQ(mdb_dbi_open(txn->get(), nullptr, 0, &dbi), 0);
  return GetValue(txn->get(), dbi, key).ok();
}

int NiceOfThisThread() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}

TEST(LentTransactionTest, TheOperationRunsOnTheCallersThreadAndIsCommitted) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  absl::Status status = RunLent(writer, [&](MDB_txn* txn) {
    ran_on = std::this_thread::get_id();
    return Put(txn, "lent");
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(ran_on, caller);
  EXPECT_TRUE(Stored(env.get(), "lent"));
}

TEST(LentTransactionTest, AFailedOperationRollsBackAloneAndTheWriterGoesOn) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Status status = RunLent(writer, [](MDB_txn* txn) -> absl::Status {
    absl::Status put = Put(txn, "half");
    if (!put.ok()) return put;
    return absl::FailedPreconditionError("refused after writing");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_FALSE(Stored(env.get(), "half"))
      << "the failed operation's put stayed";
  EXPECT_TRUE(
      writer.SubmitAndWait([](MDB_txn* txn) { return Put(txn, "next"); }).ok());
  EXPECT_TRUE(Stored(env.get(), "next"));
}

TEST(LentTransactionTest, WritesQueuedWhileTheLoanIsOutCommitWithIt) {
  testing::TempDir dir;
  auto env = OpenEnv(dir);
  Writer writer(env.get(), /*max_batch=*/16);
  absl::Notification applying, release;
  std::thread borrower([&] {
    EXPECT_TRUE(RunLent(writer, [&](MDB_txn* txn) {
                  applying.Notify();
                  release.WaitForNotification();
                  return Put(txn, "lent");
                }).ok());
  });
  applying.WaitForNotification();  // the writer waits for the borrower
  std::atomic<int> answered = 0;
  for (const char* key : {"a", "b"}) {
    writer.Submit([key](MDB_txn* txn) { return Put(txn, key); },
                  [&answered](absl::Status s) {
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

TEST(LentTransactionTest, AWriteTheWriterRefusesNeverRunsTheOperation) {
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

TEST(LentTransactionTest, LoweringThePriorityChangesOnlyTheCallingThread) {
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
