// Bulk import (storage/importer.h) and snapshot export
// (storage/snapshot_export.h) on a real LMDB directory.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/database.h"
#include "storage/importer.h"
#include "storage/snapshot_export.h"
#include "storage/uuid.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using test::Inspection;
using test::PENDING;
using test::Permit;

// What SnapshotExport::Next hands over, parsed into `out`.
auto AddTo(google::protobuf::RepeatedPtrField<Permit>& out) {
  return [&out](absl::string_view record) {
    EXPECT_TRUE(out.Add()->ParseFromArray(record.data(),
                                          static_cast<int>(record.size())));
  };
}

class ImportExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = lmdbapi::testing::OpenPermitDb(dir_.path());
    permits_ = db_->table("permits");
    inspections_ = db_->table("inspections");
  }
  // `n` permits with distinct permit numbers (unique index by_number).
  static std::vector<Permit> Permits(int n, const std::string& tag) {
    return lmdbapi::testing::NumberedPermits(n, tag);
  }
  template <typename Record>
  static std::vector<ImportRecord> Batch(std::vector<Record>& records,
                                         uint64_t first, size_t from = 0,
                                         size_t to = SIZE_MAX) {
    std::vector<ImportRecord> out;
    for (size_t i = from; i < std::min(to, records.size()); ++i) {
      out.push_back({&records[i], first + i - from});
    }
    return out;
  }
  // `records` as one batch of an import with skip_bad.
  absl::Status ImportSkippingBad(std::vector<Permit>& records,
                                 ImportBatchResult* result) {
    ImportOptions options;
    options.skip_bad = true;
    Importer importer(permits_, options);
    return importer.Submit(Batch(records, 1), result);
  }
  bool Stored(const Permit& p) {
    Permit got;
    return permits_->Get(p.uuid(), &got).ok();
  }
  std::vector<Permit> ExportAll(const Query& query, uint64_t* revision,
                                size_t chunk = 7, Table* table = nullptr) {
    auto snapshot =
        SnapshotExport::Open(table == nullptr ? *permits_ : *table, query);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    if (!snapshot.ok()) return {};
    *revision = (*snapshot)->revision();
    google::protobuf::RepeatedPtrField<Permit> out;
    while (true) {
      auto more = (*snapshot)->Next(chunk, 1 << 20, AddTo(out));
      EXPECT_TRUE(more.ok()) << more.status();
      if (!more.ok() || !*more) break;
    }
    return {out.begin(), out.end()};
  }
  void ExpectIndexesAgree() {
    for (Table* t : {permits_, inspections_}) {
      auto report = t->VerifyIndexes();
      ASSERT_TRUE(report.ok()) << report.status();
      for (const auto& m : report->mismatches) ADD_FAILURE() << m.DebugString();
    }
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  Table* permits_;
  Table* inspections_;
};

TEST_F(ImportExportTest, BatchesStoreEveryRecordWithIndexesAndRevisions) {
  std::vector<Permit> records = Permits(100, "Imp");
  Importer importer(permits_, {});
  ImportBatchResult first, second;
  ASSERT_TRUE(importer.Submit(Batch(records, 1, 0, 60), &first).ok());
  ASSERT_TRUE(importer.Submit(Batch(records, 61, 60), &second).ok());
  EXPECT_EQ(first.stored, 60u);
  EXPECT_EQ(second.stored, 40u);
  EXPECT_GT(second.revision, first.revision);
  EXPECT_TRUE(first.rejected.empty());
  EXPECT_EQ(*permits_->Count(), 100u);
  ExpectIndexesAgree();
}

TEST_F(ImportExportTest, BadRecordStopsTheImportAfterTheRecordsBeforeIt) {
  std::vector<Permit> stored = Permits(1, "Old");
  ASSERT_TRUE(permits_->Insert(&stored[0]).ok());
  std::vector<Permit> records = Permits(30, "New");
  records[12].set_permit_number(stored[0].permit_number());  // unique clash
  Importer importer(permits_, {});
  ImportBatchResult first, second;
  ASSERT_TRUE(importer.Submit(Batch(records, 1, 0, 20), &first).ok());
  ASSERT_TRUE(importer.Submit(Batch(records, 21, 20), &second).ok());
  EXPECT_EQ(first.stored, 12u);
  EXPECT_TRUE(first.stopped);
  ASSERT_EQ(first.rejected.size(), 1u);
  EXPECT_EQ(first.rejected[0].first, 13u);
  EXPECT_EQ(first.rejected[0].second.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(first.rejected[0].second.message().substr(0, 26),
            "record 13: field 'permit_n")
      << first.rejected[0].second;
  EXPECT_EQ(second.stored, 0u);  // after the stop: nothing
  EXPECT_EQ(*permits_->Count(), 13u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(Stored(records[i]), i < 12) << i;
  ExpectIndexesAgree();
}

TEST_F(ImportExportTest, InvalidRecordStopsBeforeItIsPrepared) {
  std::vector<Permit> records = Permits(10, "Inv");
  records[4].set_uuid(std::string(600, 'x'));  // too long a key
  Importer importer(permits_, {});
  ImportBatchResult result;
  ASSERT_TRUE(importer.Submit(Batch(records, 1), &result).ok());
  EXPECT_EQ(result.stored, 4u);
  ASSERT_EQ(result.rejected.size(), 1u);
  EXPECT_EQ(result.rejected[0].first, 5u);
  EXPECT_EQ(result.rejected[0].second.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.rejected[0].second.message().substr(0, 21),
            "record 5: field 'uuid")
      << result.rejected[0].second;
  EXPECT_EQ(*permits_->Count(), 4u);
}

// What the Import RPC hands over when a request's records are canonical
// (storage/canonical_record.h): the records' bytes, stored as they are.
// They import as the same records parsed do: the same refusals, the same
// stored records, indexes that agree.
TEST_F(ImportExportTest, CanonicalBytesImportAsTheirParsedRecordsDo) {
  std::vector<Permit> records = Permits(300, "Canon");
  for (size_t i = 0; i < records.size(); ++i) {
    Permit& p = records[i];
    p.set_county(i % 3 == 0 ? "Kings" : "NY");
    p.set_status(static_cast<test::PermitStatus>(i % 4));
    p.set_fee_cents(static_cast<int64_t>(i) * 100 - 5000);
    if (i % 5 == 0) p.add_tags(absl::StrCat("t", i % 3));
    if (i % 7 == 0) p.set_area(static_cast<double>(i) * 1.5);
  }
  records[10].set_uuid(std::string(600, 'x'));                 // a key too long
  records[20].set_permit_number(records[19].permit_number());  // a clash
  records[30].set_status(static_cast<test::PermitStatus>(99));  // no such
  records[40].clear_uuid();                     // given a new key
  records[50].mutable_issued()->set_nanos(-1);  // not a Timestamp
  std::vector<std::string> bytes;
  for (const Permit& p : records) {
    bytes.push_back(DeterministicBytes(p));
    ASSERT_TRUE(permits_->Canonical(bytes.back())) << p.ShortDebugString();
  }
  lmdbapi::testing::TempDir other_dir;
  std::unique_ptr<Database> other =
      lmdbapi::testing::OpenPermitDb(other_dir.path());
  Table* other_permits = other->table("permits");
  ImportOptions options;
  options.skip_bad = true;
  ImportBatchResult parsed, canonical;
  ASSERT_TRUE(
      Importer(permits_, options).Submit(Batch(records, 1), &parsed).ok());
  std::vector<ImportRecord> from_bytes;
  for (size_t i = 0; i < bytes.size(); ++i) {
    from_bytes.push_back({nullptr, i + 1, bytes[i]});
  }
  ASSERT_TRUE(Importer(other_permits, options)
                  .Submit(std::move(from_bytes), &canonical)
                  .ok());
  EXPECT_EQ(canonical.stored, parsed.stored);
  EXPECT_EQ(parsed.stored, records.size() - 4);
  ASSERT_EQ(canonical.rejected.size(), parsed.rejected.size());
  for (size_t i = 0; i < parsed.rejected.size(); ++i) {
    EXPECT_EQ(canonical.rejected[i].first, parsed.rejected[i].first);
    EXPECT_EQ(canonical.rejected[i].second, parsed.rejected[i].second);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (i == 40) continue;  // given a key: another in each
    const Permit& p = records[i];
    Permit a, b;
    absl::Status got_a = permits_->Get(p.uuid(), &a);
    EXPECT_EQ(got_a.code(), other_permits->Get(p.uuid(), &b).code());
    if (got_a.ok()) {
      EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
    }
  }
  EXPECT_EQ(*other_permits->Count(), *permits_->Count());
  // The record without a key: given one, written in its place.
  Query given;
  given.filter = "permit_number = \"Canon-40\"";
  uint64_t revision = 0;
  std::vector<Permit> keyed = ExportAll(given, &revision, 7, other_permits);
  ASSERT_EQ(keyed.size(), 1u);
  EXPECT_EQ(keyed[0].uuid().size(), 36u);
  Permit expected = records[40];
  expected.set_uuid(keyed[0].uuid());
  EXPECT_EQ(keyed[0].SerializeAsString(), expected.SerializeAsString());
  ExpectIndexesAgree();
  auto report = other_permits->VerifyIndexes();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->mismatches.empty());
}

TEST_F(ImportExportTest, SkipBadLeavesBadRecordsOutAndGoesOn) {
  std::vector<Permit> records = Permits(20, "Skip");
  records[3].set_uuid(std::string(600, 'x'));                // invalid
  records[7].set_uuid(records[2].uuid());                    // duplicate key
  records[9].set_permit_number(records[1].permit_number());  // unique clash
  ImportBatchResult result;
  ASSERT_TRUE(ImportSkippingBad(records, &result).ok());
  EXPECT_EQ(result.stored, 17u);
  EXPECT_FALSE(result.stopped);
  ASSERT_EQ(result.rejected.size(), 3u);
  EXPECT_EQ(result.rejected[0].first, 4u);
  EXPECT_EQ(result.rejected[1].first, 8u);
  EXPECT_EQ(result.rejected[1].second.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(result.rejected[2].first, 10u);
  EXPECT_EQ(*permits_->Count(), 17u);
  ExpectIndexesAgree();
}

TEST_F(ImportExportTest, ReplaceExistingUpdatesStoredRecordsAndIndexes) {
  std::vector<Permit> records = Permits(5, "Rep");
  for (Permit& p : records) ASSERT_TRUE(permits_->Insert(&p).ok());
  for (Permit& p : records) {
    p.set_client("Replaced");
    p.set_permit_number(p.permit_number() + "-2");
  }
  ImportOptions options;
  options.replace_existing = true;
  Importer importer(permits_, options);
  ImportBatchResult result;
  ASSERT_TRUE(importer.Submit(Batch(records, 1), &result).ok());
  EXPECT_EQ(result.stored, 5u);
  EXPECT_EQ(*permits_->Count(), 5u);
  Permit got;
  ASSERT_TRUE(permits_->Get(records[0].uuid(), &got).ok());
  EXPECT_EQ(got.client(), "Replaced");
  ExpectIndexesAgree();

  Importer strict(permits_, {});
  ASSERT_TRUE(strict.Submit(Batch(records, 1), &result).ok());
  EXPECT_EQ(result.stored, 0u);
  ASSERT_EQ(result.rejected.size(), 1u);
  EXPECT_EQ(result.rejected[0].second.code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(ImportExportTest, ChildWithoutItsParentIsRefused) {
  Permit parent = MakePermit("Parent", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&parent).ok());
  std::vector<Inspection> children(3);
  for (Inspection& c : children) c.set_permit_uuid(parent.uuid());
  children[1].set_permit_uuid(NewUuidV7());  // no such permit
  Importer importer(inspections_, {});
  ImportBatchResult result;
  ASSERT_TRUE(importer.Submit(Batch(children, 1), &result).ok());
  EXPECT_EQ(result.stored, 1u);
  ASSERT_EQ(result.rejected.size(), 1u);
  EXPECT_EQ(result.rejected[0].second.code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.rejected[0].second.message().substr(0, 29),
            "record 2: field 'permit_uuid'")
      << result.rejected[0].second;
  EXPECT_EQ(*inspections_->Count(), 1u);
}

TEST_F(ImportExportTest, RecordsOutOfKeyOrderTakeRevisionsInStreamOrder) {
  std::vector<Permit> records = Permits(50, "Order");
  std::reverse(records.begin(), records.end());  // keys decrease
  for (size_t i = 0; i < records.size(); i += 2) {
    std::swap(records[i], records[records.size() - 1 - i]);  // and mix
  }
  Importer importer(permits_, {});
  ImportBatchResult result;
  ASSERT_TRUE(importer.Submit(Batch(records, 1), &result).ok());
  ASSERT_EQ(result.stored, 50u);
  for (size_t i = 0; i < records.size(); ++i) {
    Permit got;
    RecordVersion version;
    ASSERT_TRUE(permits_->Get(records[i].uuid(), &got, &version).ok()) << i;
    EXPECT_EQ(version.revision, result.revision - 49 + i) << i;
    EXPECT_EQ(got.permit_number(), records[i].permit_number());
  }
  {  // the change log, in a read of its own
    auto txn = db_->env().BeginRead();
    ASSERT_TRUE(txn.ok());
    auto changes = db_->changes().Read(txn->get(), result.revision - 49, 100);
    ASSERT_TRUE(changes.ok()) << changes.status();
    ASSERT_EQ(changes->size(), 50u);
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ((*changes)[i].pk, records[i].uuid()) << i;
      EXPECT_EQ((*changes)[i].type, ChangeType::kInsert);
    }
  }
  ExpectIndexesAgree();
}

TEST_F(ImportExportTest, SkipBadJudgesEachRecordByTheRecordsStoredBeforeIt) {
  std::vector<Permit> stored = Permits(1, "Held");
  ASSERT_TRUE(permits_->Insert(&stored[0]).ok());
  std::vector<Permit> records = Permits(10, "Judge");
  records[2].set_uuid(stored[0].uuid());  // stored key: refused
  records[5].set_permit_number(records[2].permit_number());  // 2 is not stored
  records[7].set_uuid(records[5].uuid());                    // 5 is: refused
  records[8].set_permit_number(records[6].permit_number());  // 6 is: refused
  ImportBatchResult result;
  ASSERT_TRUE(ImportSkippingBad(records, &result).ok());
  EXPECT_EQ(result.stored, 7u);
  ASSERT_EQ(result.rejected.size(), 3u);
  EXPECT_EQ(result.rejected[0].first, 3u);
  EXPECT_EQ(result.rejected[1].first, 8u);
  EXPECT_EQ(result.rejected[2].first, 9u);
  for (const auto& [position, refusal] : result.rejected) {
    EXPECT_EQ(refusal.code(), absl::StatusCode::kAlreadyExists) << position;
  }
  EXPECT_NE(result.rejected[2].second.message().find(records[6].uuid()),
            std::string::npos)
      << result.rejected[2].second;  // names the record holding the value
  Permit got;
  ASSERT_TRUE(permits_->Get(records[5].uuid(), &got).ok());
  EXPECT_EQ(got.permit_number(), records[2].permit_number());
  EXPECT_EQ(*permits_->Count(), 8u);
  ExpectIndexesAgree();
}

TEST_F(ImportExportTest, KeysSharingLongPrefixesSortAndRepeatsAreFound) {
  // Keys made in one millisecond share most of their bytes; permit numbers
  // share a prefix longer than 8 bytes and are prefixes of one another.
  const std::string shared = "PERMIT-NUMBER-WITH-A-LONG-SHARED-PREFIX-";
  std::vector<Permit> records = Permits(40, "Prefix");
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].set_permit_number(shared + std::string(i % 20 + 1, 'x') +
                                 absl::StrCat(i / 20));
  }
  records[33].set_permit_number(records[4].permit_number());  // refused
  records[37].set_uuid(records[11].uuid());                   // refused
  std::reverse(records.begin(), records.end());
  for (size_t i = 0; i + 3 < records.size(); i += 3) {
    std::swap(records[i], records[i + 3]);
  }
  ImportBatchResult result;
  ASSERT_TRUE(ImportSkippingBad(records, &result).ok());
  EXPECT_EQ(result.stored, 38u);
  ASSERT_EQ(result.rejected.size(), 2u);
  for (const auto& [position, refusal] : result.rejected) {
    EXPECT_EQ(refusal.code(), absl::StatusCode::kAlreadyExists) << position;
  }
  EXPECT_EQ(*permits_->Count(), 38u);
  ExpectIndexesAgree();
}

// The permit tables in `dir`, their map `map` bytes growing to `max_map`.
absl::StatusOr<std::unique_ptr<Database>> OpenWith(const std::string& dir,
                                                   uint64_t map,
                                                   uint64_t max_map,
                                                   uint64_t retention) {
  DatabaseOptions options = lmdbapi::testing::PermitDbOptions(dir, map);
  options.env.max_map_size_bytes = max_map;
  options.change_retention = retention;
  return Database::Open(options, lmdbapi::testing::PermitTables());
}

// Imports `n` new permits with distinct permit numbers as one batch.
absl::Status ImportNew(Table* permits, int n, ImportBatchResult* result) {
  std::vector<Permit> records;
  for (int i = 0; i < n; ++i) {
    records.push_back(
        MakePermit(absl::StrCat("New-", i % 97), "NY", PENDING, i));
    records.back().set_permit_number(absl::StrCat("New-", i));
  }
  std::vector<ImportRecord> batch;
  for (size_t i = 0; i < records.size(); ++i) {
    batch.push_back({&records[i], i + 1});
  }
  Importer importer(permits, {});
  return importer.Submit(batch, result);
}

// A batch of 8000 permits (more than 1 MiB with its index entries) into a
// map of 1 MiB that may grow to `max_map` (0: may not grow).
absl::Status ImportIntoSmallMap(uint64_t max_map, uint64_t* count,
                                bool* indexes_agree) {
  lmdbapi::testing::TempDir dir;
  auto db = OpenWith(dir.path(), uint64_t{1} << 20, max_map, 100000);
  if (!db.ok()) return db.status();
  Table* permits = (*db)->table("permits");
  ImportBatchResult result;
  absl::Status status = ImportNew(permits, 8000, &result);
  *count = *permits->Count();
  auto report = permits->VerifyIndexes();
  *indexes_agree = report.ok() && report->mismatches.empty();
  return status;
}

TEST(ImportMapTest, ABatchLargerThanTheMapIsWrittenOnceTheMapGrows) {
  uint64_t count = 0;
  bool agree = false;
  absl::Status status = ImportIntoSmallMap(uint64_t{64} << 20, &count, &agree);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(count, 8000u);
  EXPECT_TRUE(agree);
}

TEST(ImportMapTest, ABatchTheFullMapCannotHoldWritesNothing) {
  uint64_t count = 1;
  bool agree = false;
  absl::Status status = ImportIntoSmallMap(0, &count, &agree);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(count, 0u);
  EXPECT_TRUE(agree);
}

TEST(ImportRetentionTest, ABatchDropsTheChangesThatFallOutOfRetention) {
  lmdbapi::testing::TempDir dir;
  auto db = OpenWith(dir.path(), uint64_t{64} << 20, 0, 10);
  ASSERT_TRUE(db.ok()) << db.status();
  ImportBatchResult result;
  ASSERT_TRUE(ImportNew((*db)->table("permits"), 35, &result).ok());
  ASSERT_EQ(result.stored, 35u);
  auto txn = (*db)->env().BeginRead();
  ASSERT_TRUE(txn.ok());
  auto oldest = (*db)->changes().Oldest(txn->get());
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, result.revision - 9);
  auto kept = (*db)->changes().Read(txn->get(), 0, 100);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 10u);
}

TEST(ImportRetentionTest, ABatchDropsThousandsOfChangesAcrossManyPages) {
  lmdbapi::testing::TempDir dir;
  auto db = OpenWith(dir.path(), uint64_t{64} << 20, 0, 100);
  ASSERT_TRUE(db.ok()) << db.status();
  Table* permits = (*db)->table("permits");
  ImportBatchResult first;
  ASSERT_TRUE(ImportNew(permits, 3000, &first).ok());
  // Each batch drops all but the newest 100 changes: thousands of them,
  // over many pages of the change log, in one sweep of a cursor.
  std::vector<Permit> records;
  for (int i = 0; i < 3000; ++i) {
    records.push_back(MakePermit("Second", "NY", PENDING, i));
    records.back().set_permit_number(absl::StrCat("Second-", i));
  }
  std::vector<ImportRecord> batch;
  for (size_t i = 0; i < records.size(); ++i) {
    batch.push_back({&records[i], i + 1});
  }
  ImportBatchResult second;
  ASSERT_TRUE(Importer(permits, {}).Submit(batch, &second).ok());
  ASSERT_EQ(second.stored, 3000u);
  auto txn = (*db)->env().BeginRead();
  ASSERT_TRUE(txn.ok());
  auto kept = (*db)->changes().Read(txn->get(), 0, 10000);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->size(), 100u);
  EXPECT_EQ(kept->front().revision, second.revision - 99);
  EXPECT_EQ(kept->back().revision, second.revision);
}

TEST_F(ImportExportTest, ExportReadsEveryRecordOnceFromItsSnapshot) {
  std::vector<Permit> records = Permits(50, "Exp");
  for (Permit& p : records) ASSERT_TRUE(permits_->Insert(&p).ok());
  auto snapshot = SnapshotExport::Open(*permits_, Query{});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  google::protobuf::RepeatedPtrField<Permit> out;
  auto more = (*snapshot)->Next(20, 1 << 20, AddTo(out));
  ASSERT_TRUE(more.ok() && *more);
  // Written after the snapshot began: not in it.
  Permit later = MakePermit("Later", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&later).ok());
  ASSERT_TRUE(permits_->Delete(records[45].uuid()).ok());
  while (true) {
    more = (*snapshot)->Next(20, 1 << 20, AddTo(out));
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
  }
  ASSERT_EQ(out.size(), 50);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(out[i].uuid(), records[i].uuid());  // key order, each once
  }
  auto now = SnapshotExport::Open(*permits_, Query{});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ((*now)->revision(), (*snapshot)->revision() + 2);
}

TEST_F(ImportExportTest, ExportFiltersAndStopsByBytes) {
  std::vector<Permit> records = Permits(30, "Flt");
  for (int i = 0; i < 30; ++i) records[i].set_fee_cents(i);
  for (Permit& p : records) ASSERT_TRUE(permits_->Insert(&p).ok());
  Query query;
  query.filter = "fee_cents >= 20";
  uint64_t revision = 0;
  std::vector<Permit> out = ExportAll(query, &revision, 3);
  ASSERT_EQ(out.size(), 10u);
  EXPECT_EQ(out[0].fee_cents(), 20);
  EXPECT_GT(revision, 0u);

  auto snapshot = SnapshotExport::Open(*permits_, Query{});
  ASSERT_TRUE(snapshot.ok());
  google::protobuf::RepeatedPtrField<Permit> chunk;
  ASSERT_TRUE((*snapshot)->Next(1000, 1, AddTo(chunk)).ok());
  EXPECT_EQ(chunk.size(), 1);  // the byte limit ends the chunk

  query.filter = "no_such_field = 1";
  auto bad = SnapshotExport::Open(*permits_, query);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SnapshotGrowthTest, MapGrowthWaitsForALiveSnapshotOnAnyThread) {
  lmdbapi::testing::TempDir dir;
  DatabaseOptions options =
      lmdbapi::testing::PermitDbOptions(dir.path(), 256 << 10);
  options.env.max_map_size_bytes = 64 << 20;
  auto db = Database::Open(options, lmdbapi::testing::PermitTables());
  ASSERT_TRUE(db.ok()) << db.status();
  Table* permits = (*db)->table("permits");
  Permit first = MakePermit("First", "NY", PENDING);
  ASSERT_TRUE(permits->Insert(&first).ok());
  auto snapshot = SnapshotExport::Open(*permits, Query{});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  std::atomic<bool> grown{false};
  std::thread writer([&] {  // fills the map: the writer must grow it
    for (int n = 0; n < 2000; ++n) {
      Permit p = MakePermit("Fill", "NY", PENDING);
      p.set_description(std::string(500, 'd'));
      ASSERT_TRUE(permits->Insert(&p).ok());
    }
    grown = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(grown.load());  // growth waits for the snapshot
  // The snapshot still reads its state, on another thread, then ends there.
  std::thread reader([&] {
    google::protobuf::RepeatedPtrField<Permit> out;
    while (true) {
      auto more = (*snapshot)->Next(100, 1 << 20, AddTo(out));
      ASSERT_TRUE(more.ok()) << more.status();
      if (!*more) break;
    }
    EXPECT_EQ(out.size(), 1);
    snapshot->reset();
  });
  reader.join();
  writer.join();
  EXPECT_TRUE(grown.load());
  EXPECT_GE((*db)->writer().stats().map_growths, 1u);
  EXPECT_EQ(*permits->Count(), 2001u);
}

}  // namespace
}  // namespace lmdbapi::storage
