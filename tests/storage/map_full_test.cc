// A full map grows up to its limit, then writes fail with RESOURCE_EXHAUSTED
// while reads go on; a larger limit after a restart lets writes resume.
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using test::PENDING;
using test::Permit;

std::unique_ptr<Database> Open(const std::string& path, uint64_t map,
                               uint64_t max) {
  DatabaseOptions options = lmdbapi::testing::PermitDbOptions(path, map);
  options.env.max_map_size_bytes = max;
  auto db = Database::Open(options, lmdbapi::testing::PermitTables());
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(MapFullTest, MapGrowsThenWritesFailWithResourceExhaustedAndReadsWork) {
  lmdbapi::testing::TempDir dir;
  auto db = Open(dir.path(), 256 << 10, 2 << 20);
  ASSERT_NE(db, nullptr);
  Table* permits = db->table("permits");
  std::vector<std::string> committed;
  absl::Status status;
  for (int n = 0; n < 100000; ++n) {
    Permit p = MakePermit("client", "NY", PENDING);
    p.set_description(std::string(500, 'd'));
    status = permits->Insert(&p);
    if (!status.ok()) break;
    committed.push_back(p.uuid());
  }
  ASSERT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("limit"), std::string::npos) << status;
  EXPECT_GE(db->writer().stats().map_growths, 3u);  // 256K -> 512K -> 1M -> 2M
  EXPECT_EQ(db->env().Info().map_size_bytes, uint64_t{2} << 20);
  // ~1 KB each with its index entries, version and change-log entry.
  ASSERT_GT(committed.size(), 800u);

  // Reads still work, and every committed record is there.
  for (const auto& uuid : committed) {
    Permit got;
    ASSERT_TRUE(permits->Get(uuid, &got).ok()) << uuid;
  }
  // Deletes need pages too, but small records still fail cleanly or succeed.
  Permit small = MakePermit("c", "NY", PENDING);
  absl::Status again = permits->Insert(&small);
  EXPECT_TRUE(again.ok() ||
              again.code() == absl::StatusCode::kResourceExhausted);
  if (again.ok()) committed.push_back(small.uuid());

  db.reset();
  db = Open(dir.path(), 256 << 10, 8 << 20);  // a larger limit after restart
  ASSERT_NE(db, nullptr);
  permits = db->table("permits");
  EXPECT_EQ(*permits->Count(), committed.size());
  auto report = permits->VerifyIndexes();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  Permit more = MakePermit("client", "NY", PENDING);
  more.set_description(std::string(500, 'd'));
  EXPECT_TRUE(permits->Insert(&more).ok());
}

}  // namespace
}  // namespace lmdbapi::storage
