// Database::Commit: several writes over several tables, all or nothing,
// under one revision.
#include "storage/commit.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Inspection;
using test::PENDING;
using test::Permit;
using testing::MakePermit;

class CommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenPermitDb(dir_.path());
    permits_ = db_->table("permits");
    inspections_ = db_->table("inspections");
  }

  static CommitWrite Insert(Table* table,
                            const google::protobuf::Message& record) {
    CommitWrite w;
    w.kind = CommitWrite::Kind::kInsert;
    w.table = table;
    w.record.reset(record.New());
    w.record->CopyFrom(record);
    return w;
  }

  // A new permit and `lines` inspections under it, whose parent key refers
  // to the permit's generated key.
  Commit Order(const std::string& client, int lines) {
    Commit commit;
    commit.writes.push_back(
        Insert(permits_, MakePermit(client, "NY", PENDING)));
    for (int i = 0; i < lines; ++i) {
      Inspection line;
      line.set_inspector(client + "-" + std::to_string(i));
      CommitWrite w = Insert(inspections_, line);
      w.key_refs.push_back({"permit_uuid", 0});
      commit.writes.push_back(std::move(w));
    }
    return commit;
  }

  size_t Count(Table* table) { return *table->Count(); }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  Table* permits_ = nullptr;
  Table* inspections_ = nullptr;
};

TEST_F(CommitTest, AnOrderAndItsLinesCommitTogetherUnderOneRevision) {
  Commit commit = Order("Acme", 3);
  ASSERT_TRUE(db_->Commit(commit).ok());
  ASSERT_GT(commit.revision, 0u);
  const std::string& order = commit.writes[0].key;
  ASSERT_FALSE(order.empty());
  for (const CommitWrite& w : commit.writes) {
    EXPECT_EQ(w.version.revision, commit.revision);
    ASSERT_NE(w.written(), nullptr);
  }
  for (size_t i = 1; i < commit.writes.size(); ++i) {
    Inspection stored;
    ASSERT_TRUE(inspections_->Get(commit.writes[i].key, &stored).ok());
    EXPECT_EQ(stored.permit_uuid(), order);
  }
  // The change log: one revision, positions 0..3, in write order.
  auto txn = db_->env().BeginRead();
  auto changes = db_->changes().Read(txn->get(), commit.revision, 1);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 4u) << "a commit is read whole";
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*changes)[i].revision, commit.revision);
    EXPECT_EQ((*changes)[i].position, i);
    EXPECT_EQ((*changes)[i].pk, commit.writes[i].key);
  }
  EXPECT_EQ(*db_->changes().Last(txn->get()), commit.revision);
}

TEST_F(CommitTest, ARefusedLastWriteStoresNothingAndNamesItsPosition) {
  Commit commit = Order("Bolt", 2);
  Inspection orphan;
  orphan.set_permit_uuid("no-such-permit");
  commit.writes.push_back(Insert(inspections_, orphan));
  absl::Status status = db_->Commit(commit);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("writes[3]: field 'permit_uuid'"),
            std::string::npos)
      << status;
  EXPECT_EQ(Count(permits_), 0u);
  EXPECT_EQ(Count(inspections_), 0u);
  auto txn = db_->env().BeginRead();
  EXPECT_EQ(*db_->changes().Last(txn->get()), 0u) << "no revision was taken";
}

TEST_F(CommitTest, PreconditionsWriteNothingAndRefuseTheCommit) {
  Permit p = MakePermit("Crane", "TX", PENDING);
  ASSERT_TRUE(permits_->Insert(&p).ok());
  RecordVersion version;
  ASSERT_TRUE(permits_->Get(p.uuid(), &p, &version).ok());
  auto with = [&](CommitCondition::Kind kind, uint64_t revision) {
    Commit commit = Order("Delta", 1);
    commit.conditions.push_back({kind, permits_, p.uuid(), revision});
    return db_->Commit(commit);
  };
  EXPECT_EQ(with(CommitCondition::Kind::kAbsent, 0).code(),
            absl::StatusCode::kFailedPrecondition);
  absl::Status stale =
      with(CommitCondition::Kind::kRevision, version.revision + 7);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_NE(stale.message().find("preconditions[0]: revision"),
            std::string::npos)
      << stale;
  EXPECT_EQ(Count(permits_), 1u);
  EXPECT_TRUE(with(CommitCondition::Kind::kExists, 0).ok());
  EXPECT_TRUE(with(CommitCondition::Kind::kRevision, version.revision).ok());
  EXPECT_EQ(Count(permits_), 3u);
}

TEST_F(CommitTest, UpdatePatchAndDeleteInOneCommitWithExpectedRevisions) {
  Permit a = MakePermit("A", "NY", PENDING), b = MakePermit("B", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  ASSERT_TRUE(permits_->Insert(&b).ok());
  RecordVersion va;
  ASSERT_TRUE(permits_->Get(a.uuid(), &a, &va).ok());
  Commit commit;
  CommitWrite patch;
  patch.kind = CommitWrite::Kind::kPatch;
  patch.table = permits_;
  Permit values;
  values.set_uuid(a.uuid());
  values.set_client("A2");
  patch.record = std::make_unique<Permit>(values);
  patch.paths = {"client"};
  patch.expected_revision = va.revision;
  commit.writes.push_back(std::move(patch));
  CommitWrite remove;
  remove.kind = CommitWrite::Kind::kDelete;
  remove.table = permits_;
  remove.key = b.uuid();
  commit.writes.push_back(std::move(remove));
  ASSERT_TRUE(db_->Commit(commit).ok());
  Permit stored;
  ASSERT_TRUE(permits_->Get(a.uuid(), &stored).ok());
  EXPECT_EQ(stored.client(), "A2");
  EXPECT_EQ(stored.county(), "NY");
  EXPECT_TRUE(absl::IsNotFound(permits_->Get(b.uuid(), &stored)));
  // The same patch again expects a revision that moved on: nothing changes.
  Commit again;
  CommitWrite stale;
  stale.kind = CommitWrite::Kind::kPatch;
  stale.table = permits_;
  values.set_client("A3");
  stale.record = std::make_unique<Permit>(values);
  stale.paths = {"client"};
  stale.expected_revision = va.revision;
  again.writes.push_back(std::move(stale));
  EXPECT_EQ(db_->Commit(again).code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(permits_->Get(a.uuid(), &stored).ok());
  EXPECT_EQ(stored.client(), "A2");
}

TEST_F(CommitTest, BadReferencesAreInvalidArgumentNamingTheWrite) {
  Commit forward = Order("E", 1);
  forward.writes[1].key_refs = {{"permit_uuid", 1}};
  absl::Status s = db_->Commit(forward);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("writes[1]: key_refs"), std::string::npos) << s;
  Commit wrong_field = Order("F", 1);
  wrong_field.writes[1].key_refs = {{"passed", 0}};
  s = db_->Commit(wrong_field);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'passed'"), std::string::npos) << s;
  EXPECT_EQ(Count(permits_), 0u);
}

TEST_F(CommitTest, SingleWritesStillTakeOneRevisionEach) {
  Permit a = MakePermit("G", "NY", PENDING), b = MakePermit("H", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  ASSERT_TRUE(permits_->Insert(&b).ok());
  auto txn = db_->env().BeginRead();
  auto changes = db_->changes().Read(txn->get(), 1, 100);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].revision + 1, (*changes)[1].revision);
  EXPECT_EQ((*changes)[1].position, 0u);
}

TEST_F(CommitTest, RecordsOnAnArenaCommitAndOutliveNothing) {
  auto arena = std::make_unique<google::protobuf::Arena>();
  Commit commit;
  for (const char* client : {"I", "J"}) {
    const Permit permit = MakePermit(client, "NY", PENDING);
    CommitWrite& w = commit.writes.emplace_back();  // an insert
    w.table = permits_;
    w.record = NewRecord(permit, arena.get());
    w.record->CopyFrom(permit);
  }
  commit.writes.push_back(Insert(permits_, MakePermit("K", "NY", PENDING)));
  ASSERT_EQ(commit.writes[0].record->GetArena(), arena.get());
  ASSERT_TRUE(db_->Commit(commit).ok());
  EXPECT_EQ(Count(permits_), 3u);
  // Taken by an answer, a record keeps its arena and its generated key.
  RecordPtr taken = commit.writes[0].TakeWritten();
  EXPECT_EQ(taken->GetArena(), arena.get());
  EXPECT_FALSE(static_cast<Permit*>(taken.get())->uuid().empty());
  // The writer may drop a commit after its call's arena is gone: the
  // writes' deleters never touch an arena's record (ASan would say).
  arena.reset();
  taken.reset();
  commit.writes.clear();
}

}  // namespace
}  // namespace lmdbapi::storage
