// Online index builds: a new index is built in chunks after Open while
// writes go on, queries do without it until it is ready, a unique build that
// meets a duplicate fails and says so, a restart resumes from the cursor,
// and Rebuild takes the same path.
#include <atomic>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using lmdbapi::testing::PermitTables;
using lmdbapi::testing::TempDir;
using test::PENDING;
using test::Permit;

// Records per chunk here, and several chunks' worth of records.
constexpr int kChunk = 2000;
constexpr int kRecords = 3 * kChunk + 777;

std::vector<TableSpec> WithFeeIndex() {
  std::vector<TableSpec> specs = PermitTables();
  specs[0].indexes.push_back({"by_fee", {"fee_cents"}, false});
  return specs;
}

std::vector<TableSpec> WithoutNumberIndex() {
  std::vector<TableSpec> specs = PermitTables();
  specs[0].indexes.pop_back();  // by_number (unique)
  return specs;
}

std::unique_ptr<Database> Open(const std::string& dir,
                               const std::vector<TableSpec>& specs,
                               bool online = true,
                               std::function<void()> before_write = nullptr) {
  DatabaseOptions options;
  options.index_build_chunk_records = kChunk;
  options.before_index_chunk_write = std::move(before_write);
  options.env.path = dir;
  options.env.map_size_bytes = uint64_t{256} << 20;
  options.env.durability = Durability::kNoSync;
  options.build_indexes_online = online;
  auto db = Database::Open(options, specs);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

// Fills a permits table; every `duplicate_every`th permit number repeats.
void Fill(const std::string& dir, const std::vector<TableSpec>& specs,
          int records, int duplicate_every = 0) {
  auto db = Open(dir, specs);
  ASSERT_NE(db, nullptr);
  std::vector<Permit> batch;
  for (int n = 0; n < records; ++n) {
    Permit p = MakePermit("c" + std::to_string(n % 13), n % 2 ? "NY" : "CA",
                          PENDING, n);
    p.set_fee_cents((n * 7919) % 100000);
    int number = duplicate_every > 0 && n % duplicate_every == 1 ? n - 1 : n;
    p.set_permit_number("P-" + std::to_string(number));
    batch.push_back(p);
  }
  std::vector<google::protobuf::Message*> ptrs;
  for (Permit& p : batch) ptrs.push_back(&p);
  ASSERT_TRUE(db->table("permits")->BatchInsert(ptrs).ok());
}

IndexBuildProgress BuildOf(const Database& db, const std::string& index) {
  for (const IndexBuildProgress& p : db.IndexBuilds()) {
    if (p.table == "permits" && p.index == index) return p;
  }
  ADD_FAILURE() << "no index " << index;
  return {};
}

// Holds the writer (and so every build chunk) until released. With `when`,
// holds it at the first moment `when()` is true, checked between the
// writer's tasks: each check that fails queues itself again, behind only
// what was queued meanwhile, so at most one build chunk (which is submitted
// after the builder recorded the one before) runs between two checks.
class WriterHold {
 public:
  explicit WriterHold(Database& db, std::function<bool()> when = nullptr)
      : writer_(db.writer()), when_(std::move(when)) {
    Submit();
    held_.WaitForNotification();
  }
  ~WriterHold() { Release(); }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

 private:
  void Submit() {
    writer_.Submit(
        [this](MDB_txn*) {
          if (when_ && !when_()) {
            Submit();
            return absl::OkStatus();
          }
          held_.Notify();
          release_.WaitForNotification();
          return absl::OkStatus();
        },
        [](absl::Status) {});
  }

  Writer& writer_;
  std::function<bool()> when_;
  absl::Notification held_, release_;
};

// The entries LMDB counts in `database` ("permits.idx.by_fee").
uint64_t EntriesIn(const Database& db, const std::string& database) {
  auto stats = db.Stats();
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (!stats.ok()) return 0;
  for (const DatabaseStats& s : *stats) {
    if (s.database == database) return s.entries;
  }
  ADD_FAILURE() << "no database " << database;
  return 0;
}

void ExpectConsistent(Table* table) {
  auto report = table->VerifyIndexes();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->mismatches.front().DebugString();
  EXPECT_TRUE(report->skipped.empty()) << report->skipped.front();
}

TEST(OnlineIndexBuildTest, NewIndexIsBuiltInChunksWhileWritesGoOn) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), kRecords);
  auto db = Open(dir.path(), WithFeeIndex());
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(db->open_log().size(), 2u);  // and "recorded the schema (...)"
  EXPECT_TRUE(
      absl::StartsWith(db->open_log()[0], "building index permits.idx.by_fee"));
  Table* permits = db->table("permits");
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writes([&] {
    for (int n = 0; !stop.load(); ++n) {
      Permit p = MakePermit("w", "NY", PENDING, n);
      p.set_fee_cents(n);
      ASSERT_TRUE(permits->Insert(&p).ok());
      p.set_fee_cents(n + 1000000);  // moves its entry
      ASSERT_TRUE(permits->Update(p).ok());
      if (n % 3 == 0) ASSERT_TRUE(permits->Delete(p.uuid()).ok());
      ++written;
    }
  });
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  stop = true;
  writes.join();
  EXPECT_GT(written.load(), 0);
  IndexBuildProgress build = BuildOf(*db, "by_fee");
  EXPECT_EQ(build.state, IndexState::kReady);
  // Verify compares each index with one computed offline from the records.
  ExpectConsistent(permits);
  auto count = permits->Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(EntriesIn(*db, "permits.idx.by_fee"), *count);
}

// The builder reads a record's entries off its stored bytes where the
// table's indexes allow (the other tests' tables), and parses the record
// where one needs it: here a repeated field, one entry per distinct element.
TEST(OnlineIndexBuildTest, AnIndexOnARepeatedFieldIsBuiltFromParsedRecords) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), kRecords);
  std::vector<TableSpec> specs = WithFeeIndex();
  specs[0].indexes.push_back({"by_tag", {"tags"}, false});
  uint64_t tags = 0;
  {
    auto db = Open(dir.path(), PermitTables());
    ASSERT_NE(db, nullptr);
    for (int n = 0; n < 500; ++n) {
      Permit p = MakePermit("t", "NY", PENDING, n);
      p.set_fee_cents(n);
      for (int t = 0; t < n % 4; ++t) p.add_tags("tag" + std::to_string(t));
      p.add_tags("tag0");  // a repeated element: one entry for it
      tags += n % 4 == 0 ? 1 : n % 4;
      ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
    }
  }
  auto db = Open(dir.path(), specs);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  Table* permits = db->table("permits");
  EXPECT_EQ(BuildOf(*db, "by_fee").state, IndexState::kReady);
  EXPECT_EQ(BuildOf(*db, "by_tag").state, IndexState::kReady);
  ExpectConsistent(permits);
  auto count = permits->Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(EntriesIn(*db, "permits.idx.by_fee"), *count);
  EXPECT_EQ(EntriesIn(*db, "permits.idx.by_tag"), tags);
}

// Fills `dir`, opens it with by_fee to build, has `writes` write to the
// permits once, after the first chunk is read and before it is written,
// and waits for the build.
std::unique_ptr<Database> BuildWithWritesBetween(
    const TempDir& dir, std::function<void(Table* permits)> writes) {
  Fill(dir.path(), PermitTables(), kRecords);
  absl::Notification opened;
  Table* permits = nullptr;
  bool changed = false;
  auto db = Open(dir.path(), WithFeeIndex(), /*online=*/true, [&] {
    opened.WaitForNotification();
    if (changed) return;
    changed = true;
    writes(permits);
  });
  if (db == nullptr) return nullptr;
  permits = db->table("permits");
  opened.Notify();
  EXPECT_TRUE(db->WaitForIndexBuilds().ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(BuildOf(*db, "by_fee").state, IndexState::kReady);
  return db;
}

// Permits with `fee` stored and found through by_fee.
void ExpectFeeCount(Table* permits, int fee, uint64_t expected) {
  Query query;
  query.filter = "fee_cents = " + std::to_string(fee);
  auto count = permits->Count(query);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->count, expected);
  EXPECT_EQ(count->plan->description,
            "index by_fee (fee_cents = " + std::to_string(fee) + ")");
}

// The builder reads a chunk and computes its entries before the writer's
// turn; writes that commit in between must win: here the first chunk's
// first record is updated (its entry moves) and its second deleted.
TEST(OnlineIndexBuildTest, WritesBetweenReadingAChunkAndWritingItWin) {
  TempDir dir;
  auto db = BuildWithWritesBetween(dir, [](Table* permits) {
    Query query;  // no filter: in key order, as the builder reads
    query.page_size = 2;
    google::protobuf::RepeatedPtrField<Permit> first;
    ASSERT_TRUE(permits->Filter(query, [&] { return first.Add(); }).ok());
    ASSERT_EQ(first.size(), 2);
    Permit moved = first[0];
    moved.set_fee_cents(777777);
    ASSERT_TRUE(permits->Update(moved).ok());
    ASSERT_TRUE(permits->Delete(first[1].uuid()).ok());
  });
  ASSERT_NE(db, nullptr);
  ExpectConsistent(db->table("permits"));
  ExpectFeeCount(db->table("permits"), 777777, 1);
}

// Writes between reading a chunk and writing it that are not to its records:
// here new records (after every stored key) and the last stored record (in
// the last chunk) change before the first chunk's turn, and every record is
// indexed once, as stored.
TEST(OnlineIndexBuildTest, WritesOutsideAChunkAreIndexedOnce) {
  TempDir dir;
  auto db = BuildWithWritesBetween(dir, [](Table* permits) {
    Query query;  // the last record filled
    query.filter = "permit_number = \"P-" + std::to_string(kRecords - 1) + "\"";
    google::protobuf::RepeatedPtrField<Permit> found;
    ASSERT_TRUE(permits->Filter(query, [&] { return found.Add(); }).ok());
    ASSERT_EQ(found.size(), 1);
    Permit last = found[0];
    last.set_fee_cents(424242);
    ASSERT_TRUE(permits->Update(last).ok());
    for (int n = 0; n < 3; ++n) {
      Permit added = MakePermit("new", "CA", PENDING, n);
      added.set_fee_cents(424242);
      ASSERT_TRUE(permits->Insert(&added).ok());
    }
  });
  ASSERT_NE(db, nullptr);
  ExpectConsistent(db->table("permits"));
  ExpectFeeCount(db->table("permits"), 424242, 4);
  EXPECT_EQ(EntriesIn(*db, "permits.idx.by_fee"), kRecords + 3u);
}

TEST(OnlineIndexBuildTest, QueriesDuringBuildDoNotUseItAndAreCorrect) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), kRecords);
  auto db = Open(dir.path(), WithFeeIndex());
  ASSERT_NE(db, nullptr);
  Table* permits = db->table("permits");
  {
    WriterHold hold(*db);
    IndexBuildProgress build = BuildOf(*db, "by_fee");
    ASSERT_EQ(build.state, IndexState::kBuilding);
    EXPECT_EQ(build.total, static_cast<uint64_t>(kRecords));
    Query query;
    query.filter = "fee_cents < 5000";
    query.page_size = 1000;
    google::protobuf::RepeatedPtrField<Permit> page;
    auto result = permits->Filter(query, [&] { return page.Add(); });
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(absl::StrContains(result->plan->description,
                                  "index by_fee not used: building"))
        << result->plan->description;
    auto counted = permits->Count(query);
    ASSERT_TRUE(counted.ok());
    int want = 0;
    for (int n = 0; n < kRecords; ++n) want += (n * 7919) % 100000 < 5000;
    EXPECT_EQ(counted->count, static_cast<uint64_t>(want));
    query.order_by = "fee_cents desc";
    auto ordered = permits->Filter(query, [&] { return page.Add(); });
    ASSERT_EQ(ordered.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(absl::StrContains(ordered.status().message(), "order_by"));
    EXPECT_TRUE(absl::StrContains(ordered.status().message(), "by_fee"));
    EXPECT_TRUE(absl::StrContains(ordered.status().message(), "building"));
    auto report = permits->VerifyIndexes();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok());
    ASSERT_EQ(report->skipped.size(), 1u);
    EXPECT_EQ(report->skipped[0], "by_fee (building)");
  }
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  Query query;
  query.filter = "fee_cents < 5000";
  auto plan = permits->Count(query);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->plan->description, "index by_fee (fee_cents < 5000)");
}

TEST(OnlineIndexBuildTest, UniqueBuildMeetingDuplicateFailsAndIsReported) {
  TempDir dir;
  Fill(dir.path(), WithoutNumberIndex(), kRecords, /*duplicate_every=*/5000);
  {
    auto db = Open(dir.path(), PermitTables());
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->WaitForIndexBuilds().ok());
    IndexBuildProgress build = BuildOf(*db, "by_number");
    EXPECT_EQ(build.state, IndexState::kFailed);
    EXPECT_TRUE(absl::StrContains(build.error, "same values")) << build.error;
    Table* permits = db->table("permits");
    // Not maintained: a write that repeats a number is not refused by it.
    Permit again = MakePermit("x", "NY", PENDING);
    again.set_permit_number("P-0");
    EXPECT_TRUE(permits->Insert(&again).ok());
    auto report = permits->VerifyIndexes();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok());
    EXPECT_EQ(report->skipped, std::vector<std::string>{"by_number (failed)"});
    auto plan = permits->Explain({{"permit_number", Op::kEq, "P-0"}});
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(
        absl::StrContains(*plan, "index by_number not used: its build failed"))
        << *plan;
    EXPECT_EQ(permits->RebuildIndexes().code(),
              absl::StatusCode::kAlreadyExists);
  }
  auto db = Open(dir.path(), PermitTables());  // the failure survives
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(BuildOf(*db, "by_number").state, IndexState::kFailed);
}

TEST(OnlineIndexBuildTest, RestartMidBuildResumesFromItsCursor) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), 4 * kRecords);
  uint64_t built = 0;
  {
    auto db = Open(dir.path(), WithFeeIndex());
    ASSERT_NE(db, nullptr);
    // Held once the first chunk is recorded: the build is a chunk in.
    WriterHold hold(*db, [&] {
      IndexBuildProgress build = BuildOf(*db, "by_fee");
      return build.built > 0 || build.state != IndexState::kBuilding;
    });
    built = BuildOf(*db, "by_fee").built;
    ASSERT_EQ(BuildOf(*db, "by_fee").state, IndexState::kBuilding);
    ASSERT_GT(built, 0u);
    hold.Release();
  }  // closes mid-build (after the chunk under way)
  auto db = Open(dir.path(), WithFeeIndex());
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->open_log().empty()) << "resumed, not restarted";
  {
    WriterHold hold(*db);
    IndexBuildProgress build = BuildOf(*db, "by_fee");
    if (build.state == IndexState::kBuilding) EXPECT_GE(build.built, built);
  }
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  EXPECT_EQ(BuildOf(*db, "by_fee").state, IndexState::kReady);
  ExpectConsistent(db->table("permits"));
}

TEST(OnlineIndexBuildTest, RebuildEmptiesAndRebuildsThroughTheSamePath) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), kRecords);
  auto db = Open(dir.path(), PermitTables());
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->Rebuild("nope", "").status().code(),
            absl::StatusCode::kNotFound);
  auto missing = db->Rebuild("permits", "nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "'nope'"));
  {
    WriterHold hold(*db);
    hold.Release();
  }
  auto started = db->Rebuild("permits", "by_issued");
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(*started, std::vector<std::string>{"permits.by_issued"});
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  ExpectConsistent(db->table("permits"));
  auto all = db->Rebuild("", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);  // 3 of permits, by_inspector and two links
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  for (const auto& table : db->tables()) ExpectConsistent(table.get());
}

TEST(OnlineIndexBuildTest, AKeptPlanIsNotUsedWhileItsIndexIsRebuilt) {
  TempDir dir;
  Fill(dir.path(), WithFeeIndex(), kRecords);
  auto db = Open(dir.path(), WithFeeIndex(), /*online=*/false);
  ASSERT_NE(db, nullptr);
  Table* permits = db->table("permits");
  Query query;
  query.filter = "fee_cents < 5000";
  auto first = permits->Count(query);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->plan->description, "index by_fee (fee_cents < 5000)");
  auto again = permits->Count(query);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->plan, first->plan) << "kept, not made again";
  std::thread rebuild(
      [&] { ASSERT_TRUE(db->Rebuild("permits", "by_fee").ok()); });
  {
    // The writer runs one job at a time: held between two of the build's
    // chunks, once the rebuild has emptied the index.
    WriterHold hold(*db, [&] {
      return BuildOf(*db, "by_fee").state == IndexState::kBuilding;
    });
    auto during = permits->Count(query);
    ASSERT_TRUE(during.ok());
    EXPECT_TRUE(absl::StrContains(during->plan->description,
                                  "index by_fee not used: building"))
        << during->plan->description;
    EXPECT_EQ(during->count, first->count);
  }
  rebuild.join();
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  auto after = permits->Count(query);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->plan->description, "index by_fee (fee_cents < 5000)");
  EXPECT_EQ(after->count, first->count);
}

TEST(OnlineIndexBuildTest, OfflineOptionFinishesBeforeOpenReturns) {
  TempDir dir;
  Fill(dir.path(), PermitTables(), kRecords);
  auto db = Open(dir.path(), WithFeeIndex(), /*online=*/false);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(BuildOf(*db, "by_fee").state, IndexState::kReady);
  ExpectConsistent(db->table("permits"));
}

}  // namespace
}  // namespace lmdbapi::storage
