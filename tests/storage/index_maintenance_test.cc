// Verify finds every disagreement between indexes and records; rebuild
// repairs them; a changed index definition is rebuilt on open.
#include <lmdb.h>

#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/lmdb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using test::PENDING;
using test::Permit;

// Edits an index database behind storage's back, as corruption would.
void CorruptIndex(const std::string& path, const std::string& db_name,
                  bool delete_first, const std::string& bogus_key) {
  MDB_env* env;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 32);
  ASSERT_EQ(mdb_env_open(env, path.c_str(), 0, 0644), 0);
  MDB_txn* txn;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, db_name.c_str(), 0, &dbi), 0);
  if (delete_first) {
    MDB_cursor* cursor;
    MDB_val k, v;
    ASSERT_EQ(mdb_cursor_open(txn, dbi, &cursor), 0);
    ASSERT_EQ(mdb_cursor_get(cursor, &k, &v, MDB_FIRST), 0);
    ASSERT_EQ(mdb_cursor_del(cursor, 0), 0);
    mdb_cursor_close(cursor);
  }
  if (!bogus_key.empty()) {
    MDB_val k = ToVal(bogus_key), v = ToVal("");
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  }
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(IndexMaintenanceTest, VerifyReportsEveryMismatchAndRebuildRepairsThem) {
  lmdbapi::testing::TempDir dir;
  std::vector<std::string> uuids;
  {
    auto db = lmdbapi::testing::OpenPermitDb(dir.path());
    for (int n = 0; n < 200; ++n) {
      Permit p =
          MakePermit("client-" + std::to_string(n % 7), "NY", PENDING, n);
      p.set_permit_number("P-" + std::to_string(n));
      ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
      uuids.push_back(p.uuid());
    }
  }
  std::string bogus;
  TupleWriter(&bogus).AppendString("ghost");
  TupleWriter(&bogus).AppendString("NY");
  TupleWriter(&bogus).AppendInt64(1);
  bogus += "no-such-uuid";
  CorruptIndex(dir.path(), "permits.idx.main_composite", true, bogus);

  auto db = lmdbapi::testing::OpenPermitDb(dir.path());
  Table* permits = db->table("permits");
  auto report = permits->VerifyIndexes();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->records, 200u);
  ASSERT_EQ(report->mismatches.size(), 2u);
  int missing = 0, dangling = 0;
  for (const auto& m : report->mismatches) {
    EXPECT_EQ(m.index, "main_composite");
    missing += m.kind == IndexMismatch::Kind::kMissing;
    if (m.kind == IndexMismatch::Kind::kDangling) {
      ++dangling;
      EXPECT_EQ(m.primary_key, "no-such-uuid");
    }
  }
  EXPECT_EQ(missing, 1);
  EXPECT_EQ(dangling, 1);

  ASSERT_TRUE(permits->RebuildIndexes().ok());
  report = permits->VerifyIndexes();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->entries, 3u * 200u);
}

TEST(IndexMaintenanceTest,
     NewOrChangedIndexIsBuiltOnOpenAndDroppedOneIsRemoved) {
  lmdbapi::testing::TempDir dir;
  auto specs = lmdbapi::testing::PermitTables();
  DatabaseOptions options;
  options.env.path = dir.path();
  options.env.map_size_bytes = 64 << 20;
  {
    auto db = Database::Open(options, specs);
    ASSERT_TRUE(db.ok());
    for (int n = 0; n < 50; ++n) {
      Permit p = MakePermit("c", n % 2 ? "NY" : "CA", PENDING);
      p.set_fee_cents(n);
      ASSERT_TRUE((*db)->table("permits")->Insert(&p).ok());
    }
  }
  specs[0].indexes.push_back({"by_fee", {"fee_cents"}, false});
  specs[0].indexes.erase(specs[0].indexes.begin() + 1);  // drop by_issued
  auto db = Database::Open(options, specs);
  ASSERT_TRUE(db.ok()) << db.status();
  const auto& log = (*db)->open_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].rfind("building index permits.idx.by_fee", 0), 0u) << log[0];
  ASSERT_TRUE((*db)->WaitForIndexBuilds().ok());  // built online
  EXPECT_EQ(log[1], "dropped index permits.idx.by_issued");
  EXPECT_EQ(log[2],
            "recorded the schema (tests/storage/test_records.proto) in "
            "__lmdbapi_meta");
  Table* permits = (*db)->table("permits");
  google::protobuf::RepeatedPtrField<Permit> page;
  auto result =
      permits->Filter(Query{{{"fee_cents", Op::kLt, int64_t{10}}}, 100, ""},
                      [&] { return page.Add(); });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(page.size(), 10);
  EXPECT_EQ(result->plan->description, "index by_fee (fee_cents < 10)");
  auto report = permits->VerifyIndexes();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

}  // namespace
}  // namespace lmdbapi::storage
