// The replicated writer and commands (storage/writer.h, docs/REPLICATION.md)
// without consensus: a log kept in this test hands every proposed entry to
// two real databases in order, as libraft does on every replica. The
// three-replica tests over libraft are tests/replication.
#include <atomic>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/checkpoint_file.h"
#include "storage/coding.h"
#include "storage/database.h"
#include "storage/importer.h"
#include "storage/lmdb.h"
#include "storage/replica_snapshot.h"
#include "storage/status.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::HoldWriter;
using lmdbapi::testing::MakePermit;
using lmdbapi::testing::OpenPermitDb;
using lmdbapi::testing::TempDir;

// Hands each proposed entry to every database of `replicas` (the leader
// first), in proposal order, on a thread of its own, then answers it, as
// libraft does: without waiting for the writers to apply it
// (Writer::ApplyEntryLater).
class TestLog : public Replicator {
 public:
  explicit TestLog(bool leads) : leads_(leads) {}
  ~TestLog() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  void Serve(std::vector<Database*> replicas) {
    replicas_ = std::move(replicas);
    thread_ = std::thread([this] { Run(); });
  }
  absl::Status CheckLeader() const override {
    return leads_ ? absl::OkStatus() : NotLeaderError("127.0.0.1:1");
  }
  void Propose(std::string entry,
               std::function<void(absl::Status)> committed) override {
    absl::MutexLock lock(&mu_);
    queue_.push_back({std::move(entry), std::move(committed)});
  }
  void Barrier(std::function<void(absl::Status)> done) override {
    done(CheckLeader());
  }
  std::vector<std::string> entries() {
    absl::MutexLock lock(&mu_);
    return log_;
  }

 private:
  void Run() {
    while (true) {
      std::pair<std::string, std::function<void(absl::Status)>> next;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](TestLog* l) { return !l->queue_.empty() || l->stopping_; },
            this));
        if (queue_.empty()) return;
        next = std::move(queue_.front());
        queue_.pop_front();
        log_.push_back(next.first);
      }
      for (Database* db : replicas_) {
        db->writer().ApplyEntryLater(next.first, [](absl::Status status) {
          EXPECT_TRUE(status.ok()) << status;
        });
      }
      next.second(absl::OkStatus());
    }
  }
  const bool leads_;
  std::vector<Database*> replicas_;
  absl::Mutex mu_;
  std::deque<std::pair<std::string, std::function<void(absl::Status)>>> queue_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Every record of `table` and its version (revision, create and update
// times), by key.
std::map<std::string, std::string> Dump(Database& db, const char* table) {
  std::map<std::string, std::string> out;
  Query query;
  query.page_size = 1000;
  std::deque<test::Permit> page;
  auto result = db.table(table)->Filter(query, [&]() {
    page.emplace_back();
    return &page.back();
  });
  EXPECT_TRUE(result.ok()) << result.status();
  for (const test::Permit& p : page) {
    test::Permit stored;
    RecordVersion v;
    EXPECT_TRUE(db.table(table)->Get(p.uuid(), &stored, &v).ok());
    out[p.uuid()] = absl::StrCat(p.SerializeAsString(), "@", v.revision, ",",
                                 v.create_micros, ",", v.update_micros);
  }
  return out;
}

// Every entry of the records database of `table` and of its indexes, as
// LMDB holds them (key, then value), by database name.
std::map<std::string, std::vector<std::pair<std::string, std::string>>> RawDump(
    Database& db, const std::string& table) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  absl::StatusOr<Txn> txn = Txn::BeginRead(db.env().raw());
  EXPECT_TRUE(txn.ok()) << txn.status();
  if (!txn.ok()) return out;
  std::vector<std::string> names;
  MDB_dbi main;
  EXPECT_EQ(mdb_dbi_open(txn->get(), nullptr, 0, &main), MDB_SUCCESS);
  MDB_cursor* cursor;
  MDB_val k, v;
  EXPECT_EQ(mdb_cursor_open(txn->get(), main, &cursor), MDB_SUCCESS);
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::string name(static_cast<const char*>(k.mv_data), k.mv_size);
    if (name == table || absl::StartsWith(name, table + ".idx.")) {
      names.push_back(name);
    }
  }
  mdb_cursor_close(cursor);
  for (const std::string& name : names) {
    MDB_dbi dbi;
    EXPECT_EQ(mdb_dbi_open(txn->get(), name.c_str(), 0, &dbi), MDB_SUCCESS);
    EXPECT_EQ(mdb_cursor_open(txn->get(), dbi, &cursor), MDB_SUCCESS);
    auto& entries = out[name];
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      entries.emplace_back(
          std::string(static_cast<const char*>(k.mv_data), k.mv_size),
          std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    }
    mdb_cursor_close(cursor);
  }
  return out;
}

test::Permit Numbered(const std::string& number, const std::string& client) {
  test::Permit p = MakePermit(client, "NY", test::PENDING);
  p.set_permit_number(number);
  return p;
}

class ReplicatedWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leader_ = OpenPermitDb(leader_dir_.path());
    follower_ = OpenPermitDb(follower_dir_.path());
    ASSERT_TRUE(leader_->Replicate(&leads_, 1).ok());
    ASSERT_TRUE(follower_->Replicate(&follows_, 2).ok());
    leads_.Serve({leader_.get(), follower_.get()});
  }
  Table& permits(Database& db) { return *db.table("permits"); }
  // Inserts `p` on the leader through a Transactions commit.
  absl::Status CommitInsert(const test::Permit& p) {
    Commit commit;
    CommitWrite& write = commit.writes.emplace_back();
    write.table = &permits(*leader_);
    write.record = std::make_unique<test::Permit>(p);
    return leader_->Commit(commit);
  }
  // Waits until the follower applied every entry handed to it.
  void Settle() { ASSERT_TRUE(follower_->writer().Drain().ok()); }
  // Inserts `n` numbered permits on the leader, one entry each; the log.
  std::vector<std::string> InsertNumbered(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      test::Permit p = Numbered(absl::StrCat("N", i), "Acme");
      EXPECT_TRUE(permits(*leader_).Insert(&p).ok());
    }
    return leads_.entries();
  }
  // A third replica, which has applied nothing.
  std::unique_ptr<Database> Lagging() {
    std::unique_ptr<Database> db = OpenPermitDb(lagging_dir_.path());
    EXPECT_TRUE(db->Replicate(&lags_, 3).ok());
    return db;
  }

  TempDir leader_dir_, follower_dir_, lagging_dir_;
  TestLog leads_{true}, follows_{false}, lags_{false};
  std::unique_ptr<Database> leader_, follower_;
};

TEST_F(ReplicatedWriterTest, EveryWriteKindLeavesTheSameRecordsOnEveryReplica) {
  test::Permit a = Numbered("N1", "Acme");
  test::Permit b = Numbered("N2", "Bolt");
  test::Permit c = Numbered("N3", "Crane");
  RecordVersion version;
  WriteOptions options;
  options.version = &version;
  ASSERT_TRUE(permits(*leader_).Insert(&a, options).ok());
  EXPECT_FALSE(a.uuid().empty()) << "the caller gets the generated key";
  EXPECT_EQ(version.revision, 1);
  std::vector<google::protobuf::Message*> batch = {&b, &c};
  ASSERT_TRUE(permits(*leader_).BatchInsert(batch).ok());
  a.set_county("CA");
  options.expected_revision = version.revision;
  ASSERT_TRUE(permits(*leader_).Update(a, options).ok());
  test::Permit patch, patched;
  patch.set_uuid(b.uuid());
  patch.set_client("Delta");
  ASSERT_TRUE(permits(*leader_).Patch(patch, {"client"}, &patched).ok());
  EXPECT_EQ(patched.client(), "Delta");
  EXPECT_EQ(patched.county(), "NY");
  ASSERT_TRUE(permits(*leader_).Delete(c.uuid()).ok());
  ASSERT_TRUE(CommitInsert(Numbered("N4", "Echo")).ok());
  Settle();

  EXPECT_EQ(Dump(*leader_, "permits").size(), 3);
  EXPECT_EQ(Dump(*leader_, "permits"), Dump(*follower_, "permits"))
      << "records, revisions and times differ between replicas";
  auto leader_report = leader_->Verify();
  auto follower_report = follower_->Verify();
  ASSERT_TRUE(leader_report.ok() && follower_report.ok());
  EXPECT_TRUE(follower_report->ok());
  EXPECT_EQ(leader_report->entries, follower_report->entries);
  EXPECT_EQ(leader_->writer().committed_revision(), 7)
      << "Insert, two in BatchInsert, Update, Patch, Delete; the Commit's";
  EXPECT_EQ(follower_->writer().committed_revision(), 7);
  EXPECT_EQ(leader_->writer().applied_index(), leads_.entries().size());
  EXPECT_EQ(follower_->writer().applied_index(), leads_.entries().size());
}

TEST_F(ReplicatedWriterTest, FollowersStoreTheBytesTheLeaderStores) {
  test::Permit a = Numbered("N1", "Acme");
  a.set_description("stored as the leader prepared it");
  a.add_tags("x");
  ASSERT_TRUE(permits(*leader_).Insert(&a).ok());
  test::Permit b = Numbered("N2", "Bolt");
  std::vector<google::protobuf::Message*> batch = {&b};
  ASSERT_TRUE(permits(*leader_).BatchInsert(batch).ok());
  a.set_county("TX");
  a.clear_tags();
  ASSERT_TRUE(permits(*leader_).Update(a).ok());
  ASSERT_TRUE(CommitInsert(Numbered("N3", "Crane")).ok());
  Settle();

  auto leader = RawDump(*leader_, "permits");
  EXPECT_EQ(leader["permits"].size(), 3);
  EXPECT_GE(leader.size(), 2) << "the records and at least one index";
  EXPECT_EQ(leader, RawDump(*follower_, "permits"))
      << "a follower stored other bytes than the leader";
}

// A command of a leader from before commands carried prepared records
// (format 1: the caller's record, which each replica prepares).
TEST_F(ReplicatedWriterTest, ACommandOfAnEarlierLeaderStillApplies) {
  test::Permit p = Numbered("N1", "Acme");
  p.set_uuid("01a24c1a-0000-7000-8000-000000000001");
  std::string command = {1, 0};  // format 1, not one revision
  PutVarint64(0, &command);      // conditions
  PutVarint64(1, &command);      // writes
  command.push_back(static_cast<char>(CommitWrite::Kind::kInsert));
  PutLengthPrefixed("permits", &command);
  PutLengthPrefixed(p.SerializeAsString(), &command);
  PutVarint64(0, &command);  // paths
  PutLengthPrefixed(p.uuid(), &command);
  PutVarint64(0, &command);  // expected revision
  std::string entry = {1};   // the log entry's format
  PutFixed64(7, &entry);     // proposed by replica 7
  PutFixed64(1, &entry);     // its sequence
  PutFixed64(1700000000000000, &entry);
  PutVarint64(1, &entry);
  PutLengthPrefixed(command, &entry);
  entry.resize((entry.size() + 7) / 8 * 8, '\0');  // as libraft pads it

  ASSERT_TRUE(follower_->writer().ApplyEntry(entry).ok());
  test::Permit stored;
  RecordVersion version;
  ASSERT_TRUE(permits(*follower_).Get(p.uuid(), &stored, &version).ok());
  EXPECT_EQ(stored.SerializeAsString(), p.SerializeAsString());
  EXPECT_EQ(version.create_micros, 1700000000000000);
  auto report = follower_->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
}

TEST_F(ReplicatedWriterTest, RefusedWritesFailAlikeOnEveryReplica) {
  test::Permit a = Numbered("N1", "Acme");
  ASSERT_TRUE(permits(*leader_).Insert(&a).ok());
  test::Permit again = a;
  absl::Status duplicate = permits(*leader_).Insert(&again);
  EXPECT_TRUE(absl::IsAlreadyExists(duplicate)) << duplicate;
  WriteOptions stale;
  stale.expected_revision = 99;
  EXPECT_TRUE(absl::IsAborted(permits(*leader_).Update(a, stale)));
  EXPECT_TRUE(absl::IsNotFound(permits(*leader_).Delete("absent")));
  Settle();
  EXPECT_EQ(Dump(*leader_, "permits"), Dump(*follower_, "permits"));
}

// An import batch is one command (storage/importer_command.cc): every
// replica stores and refuses the records the leader did, the records before
// a refusal that stops the import and none after it.
TEST_F(ReplicatedWriterTest, AnImportBatchStoresTheSameRecordsOnEveryReplica) {
  test::Permit stored = Numbered("N0", "Acme");
  ASSERT_TRUE(permits(*leader_).Insert(&stored).ok());
  std::vector<test::Permit> records;
  for (int i = 1; i <= 6; ++i) {
    records.push_back(Numbered(absl::StrCat("N", i), "Bolt"));
  }
  records[2].set_uuid(stored.uuid());  // a stored key
  records[4].set_permit_number("N0");  // a unique value held
  std::vector<ImportRecord> batch;
  for (size_t i = 0; i < records.size(); ++i) {
    batch.push_back({&records[i], i + 1});
  }
  ImportOptions skip;
  skip.skip_bad = true;
  ImportBatchResult skipped;
  ASSERT_TRUE(Importer(&permits(*leader_), skip).Submit(batch, &skipped).ok());
  EXPECT_EQ(skipped.stored, 4);
  ASSERT_EQ(skipped.rejected.size(), 2);
  EXPECT_EQ(skipped.rejected[0].first, 3);
  EXPECT_EQ(skipped.rejected[1].first, 5);

  std::vector<test::Permit> more = {Numbered("N7", "Crane"),
                                    Numbered("N1", "Crane"),
                                    Numbered("N8", "Crane")};
  std::vector<ImportRecord> stops = {
      {&more[0], 1}, {&more[1], 2}, {&more[2], 3}};
  ImportBatchResult stopped;
  ASSERT_TRUE(Importer(&permits(*leader_), {}).Submit(stops, &stopped).ok());
  EXPECT_EQ(stopped.stored, 1) << "the record before the refusal only";
  EXPECT_TRUE(stopped.stopped);
  Settle();

  std::map<std::string, std::string> on_leader = Dump(*leader_, "permits");
  EXPECT_EQ(on_leader.size(), 6);
  EXPECT_EQ(on_leader, Dump(*follower_, "permits"))
      << "records, revisions and times differ between replicas";
  auto report = follower_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(follower_->writer().committed_revision(),
            leader_->writer().committed_revision());
}

TEST_F(ReplicatedWriterTest, EntriesHandedOverWithoutWaitingApplyInOrder) {
  std::vector<std::string> log = InsertNumbered(20);
  std::unique_ptr<Database> lagging = Lagging();
  for (const std::string& entry : log) {
    lagging->writer().ApplyEntryLater(
        entry, [](absl::Status status) { EXPECT_TRUE(status.ok()) << status; });
  }
  // A barrier's wait: called back once every entry before it is applied.
  absl::Notification marked;
  uint64_t applied_at_mark = 0;
  lagging->writer().AfterApplied([&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    applied_at_mark = lagging->writer().applied_index();
    marked.Notify();
  });
  ASSERT_TRUE(lagging->writer().Drain().ok());
  ASSERT_TRUE(marked.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(applied_at_mark, log.size());
  EXPECT_EQ(lagging->writer().applied_index(), log.size());
  WriterStats stats = lagging->writer().stats();
  EXPECT_TRUE(stats.replicated);
  EXPECT_EQ(stats.applied_entries, log.size());
  EXPECT_EQ(stats.entries_waiting, 0);
  EXPECT_EQ(Dump(*lagging, "permits"), Dump(*leader_, "permits"));
}

TEST_F(ReplicatedWriterTest, AFollowerRefusesWritesNamingTheLeader) {
  test::Permit a = Numbered("N1", "Acme");
  absl::Status refused = permits(*follower_).Insert(&a);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_EQ(ReasonOf(refused), kNotLeaderReason);
  EXPECT_EQ(LeaderOf(refused), "127.0.0.1:1");
  EXPECT_TRUE(Dump(*follower_, "permits").empty());
}

TEST_F(ReplicatedWriterTest, AWriterFarBehindHoldsTheLogBack) {
  const size_t queued = Writer::kMaxQueuedJobs;
  std::vector<std::string> log = InsertNumbered(queued + 1);
  std::unique_ptr<Database> lagging = Lagging();
  absl::Notification release;
  HoldWriter(*lagging, release);
  std::atomic<size_t> handed{0};
  std::thread log_thread([&] {
    for (const std::string& entry : log) {
      lagging->writer().ApplyEntryLater(entry, [](absl::Status status) {
        EXPECT_TRUE(status.ok()) << status;
      });
      ++handed;
    }
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(handed.load(), queued) << "the entry after a full queue waits";
  EXPECT_EQ(lagging->writer().stats().entries_waiting, queued);
  release.Notify();
  log_thread.join();
  ASSERT_TRUE(lagging->writer().Drain().ok());
  EXPECT_EQ(lagging->writer().applied_index(), log.size());
  EXPECT_EQ(Dump(*lagging, "permits"), Dump(*leader_, "permits"));
}

TEST_F(ReplicatedWriterTest, AFollowersQueuedEntriesApplyInFewCommits) {
  std::vector<std::string> log = InsertNumbered(20);
  std::unique_ptr<Database> lagging = Lagging();
  absl::Notification release;
  HoldWriter(*lagging, release);
  for (const std::string& entry : log) {
    lagging->writer().ApplyEntryLater(
        entry, [](absl::Status status) { EXPECT_TRUE(status.ok()) << status; });
  }
  const uint64_t commits = lagging->writer().stats().batches;
  release.Notify();
  ASSERT_TRUE(lagging->writer().Drain().ok());
  // The held operation's commit, then 16 entries and 4 entries.
  EXPECT_EQ(lagging->writer().stats().batches - commits, 3u);
  EXPECT_EQ(lagging->writer().applied_index(), log.size());
  EXPECT_EQ(Dump(*lagging, "permits"), Dump(*leader_, "permits"));
}

TEST_F(ReplicatedWriterTest, AReplayedGroupOfEntriesSkipsWhatLmdbHolds) {
  std::vector<std::string> log = InsertNumbered(10);
  Settle();
  auto before = Dump(*follower_, "permits");
  absl::Notification release;
  HoldWriter(*follower_, release);
  follower_->writer().RestoredTo(0);
  for (const std::string& entry : log) {
    follower_->writer().ApplyEntryLater(
        entry, [](absl::Status status) { EXPECT_TRUE(status.ok()) << status; });
  }
  release.Notify();
  ASSERT_TRUE(follower_->writer().Drain().ok());
  EXPECT_EQ(Dump(*follower_, "permits"), before);
  EXPECT_EQ(follower_->writer().applied_index(), log.size());
}

TEST_F(ReplicatedWriterTest, AReplayedLogSkipsWhatLmdbHolds) {
  test::Permit a = Numbered("N1", "Acme");
  ASSERT_TRUE(permits(*leader_).Insert(&a).ok());
  std::vector<std::string> log = leads_.entries();
  Settle();
  auto before = Dump(*follower_, "permits");
  // A restart replays the log from its start: the writer counts entries
  // from 0 again and skips those at or below the stored index.
  follower_->writer().RestoredTo(0);
  for (const std::string& entry : log) {
    ASSERT_TRUE(follower_->writer().ApplyEntry(entry).ok());
  }
  EXPECT_EQ(Dump(*follower_, "permits"), before);
  EXPECT_EQ(follower_->writer().applied_index(), log.size());
}

// A replica commits its log's entries without LMDB's sync (a sync every
// 100 ms covers them). A kill leaves data.mdb-checkpoint; the next open rolls
// back to it, and the log applies the entries after it again: the same
// records, index entries, revisions and times, and no revision skipped.
TEST_F(ReplicatedWriterTest,
       AKilledReplicaRollsBackAndItsLogAppliesTheRestAgain) {
  TempDir dir, copy;
  std::vector<std::string> log = InsertNumbered(30);
  auto replica = OpenPermitDb(dir.path(), Durability::kNoMetaSync);
  TestLog follows{false};
  ASSERT_TRUE(replica->Replicate(&follows, 3).ok());
  for (const std::string& entry : log) {
    ASSERT_TRUE(replica->writer().ApplyEntry(entry).ok());
  }
  ASSERT_TRUE(HasCheckpoint(dir.path())) << "the entries committed synced";
  // What a kill leaves: the files as the page cache holds them.
  for (const char* name : {"data.mdb", kCheckpointFile}) {
    std::filesystem::copy_file(std::filesystem::path(dir.path()) / name,
                               std::filesystem::path(copy.path()) / name);
  }
  auto restarted = OpenPermitDb(copy.path(), Durability::kNoMetaSync);
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(restarted->open_log(), "\n"),
                                "rolled back"));
  EXPECT_EQ(*ReadRevisionFloor(copy.path()), 0u)
      << "a replica's replay gives the same revisions: none is skipped";
  TestLog restarts{false};
  ASSERT_TRUE(restarted->Replicate(&restarts, 3).ok());
  EXPECT_LE(restarted->writer().applied_index(), log.size());
  for (const std::string& entry : log) {
    ASSERT_TRUE(restarted->writer().ApplyEntry(entry).ok());
  }
  EXPECT_EQ(restarted->writer().applied_index(), log.size());
  EXPECT_EQ(RawDump(*restarted, "permits"), RawDump(*replica, "permits"));
  EXPECT_EQ(Dump(*restarted, "permits"), Dump(*replica, "permits"));
  EXPECT_EQ(restarted->writer().committed_revision(),
            replica->writer().committed_revision());
  absl::StatusOr<VerifyReport> report = restarted->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok());
  // A drain before a snapshot makes everything durable: nothing to undo.
  ASSERT_TRUE(replica->writer().Drain().ok());
  EXPECT_FALSE(HasCheckpoint(dir.path()));
}

TEST_F(ReplicatedWriterTest, ASnapshotBringsALaggingReplicaToTheLeadersData) {
  for (const char* n : {"N1", "N2", "N3"}) {
    test::Permit p = Numbered(n, "Acme");
    ASSERT_TRUE(permits(*leader_).Insert(&p).ok());
  }
  // A replica that missed every entry; the leader's data copied for it (as
  // Admin/Snapshot streams it) and installed in one transaction.
  TempDir copy_dir;
  std::unique_ptr<Database> lagging = Lagging();
  ASSERT_TRUE(leader_->env().Copy(copy_dir.path() + "/copy").ok());
  auto snapshot = ReplicaSnapshot::Open(copy_dir.path() + "/copy");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ((*snapshot)->applied(), 3);
  ASSERT_TRUE((*snapshot)->InstallInto(lagging->writer()).ok());
  EXPECT_EQ(Dump(*lagging, "permits"), Dump(*leader_, "permits"));
  EXPECT_EQ(lagging->writer().applied_index(), 3);
  EXPECT_EQ(lagging->writer().committed_revision(), 3);
  auto report = lagging->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());

  // The log goes on from the snapshot's place: entries it holds are
  // skipped, later ones applied.
  test::Permit later = Numbered("N4", "Bolt");
  ASSERT_TRUE(permits(*leader_).Insert(&later).ok());
  lagging->writer().RestoredTo(1);
  std::vector<std::string> log = leads_.entries();
  for (size_t i = 1; i < log.size(); ++i) {
    ASSERT_TRUE(lagging->writer().ApplyEntry(log[i]).ok());
  }
  EXPECT_EQ(Dump(*lagging, "permits"), Dump(*leader_, "permits"));
  EXPECT_EQ(lagging->writer().applied_index(), 4);
}

TEST(ReplicaSnapshotTest, ACopyOfAnUnreplicatedDatabaseIsRefused) {
  TempDir dir, copy_dir;
  std::unique_ptr<Database> db = OpenPermitDb(dir.path());
  ASSERT_TRUE(db->env().Copy(copy_dir.path() + "/copy").ok());
  auto snapshot = ReplicaSnapshot::Open(copy_dir.path() + "/copy");
  EXPECT_TRUE(absl::IsDataLoss(snapshot.status())) << snapshot.status();
  EXPECT_TRUE(absl::StrContains(snapshot.status().message(), "log position"));
}

}  // namespace
}  // namespace lmdbapi::storage
