// An import's batches committed without waiting for the disk
// (storage/unsynced_commits.h) and the rollback to the last synced batch
// (storage/checkpoint_file.h), on real LMDB directories opened durable.
//
// A copy of data.mdb taken while batches go unsynced is what a kill leaves
// (the page cache holds every commit) and, for what the checkpoint file
// says, what a power cut leaves: opening it rolls back to the checkpoint.
// tests/power_loss cuts the power under a real import.
#include "storage/unsynced_commits.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "storage/checkpoint_file.h"
#include "storage/database.h"
#include "storage/importer.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using lmdbapi::testing::NumberedPermits;
using lmdbapi::testing::OpenPermitDb;
using lmdbapi::testing::TempDir;
using test::PENDING;
using test::Permit;

class UnsyncedCommitsTest : public ::testing::Test {
 protected:
  static std::unique_ptr<Database> OpenDurable(const std::string& dir) {
    return OpenPermitDb(dir, Durability::kDurable);
  }
  // `n` permits tagged `tag` imported as one batch; its last revision.
  static uint64_t ImportBatch(Database& db, Importer& importer, int n,
                              const std::string& tag) {
    std::vector<Permit> permits = NumberedPermits(n, tag);
    std::vector<ImportRecord> batch;
    for (int i = 0; i < n; ++i) batch.push_back({&permits[i], next_++});
    ImportBatchResult result;
    EXPECT_TRUE(importer.Submit(std::move(batch), &result).ok());
    EXPECT_EQ(result.stored, static_cast<uint64_t>(n));
    return result.revision;
  }
  static uint64_t CountOf(Database& db) {
    absl::StatusOr<uint64_t> n = db.table("permits")->Count();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : 0;
  }
  static void ExpectVerifies(Database& db) {
    absl::StatusOr<VerifyReport> report = db.Verify();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->mismatches.front();
  }
  // What a kill leaves: the directory's files as the page cache holds them.
  static void CopyFiles(const std::string& from, const std::string& to) {
    for (const char* name : {"data.mdb", kCheckpointFile}) {
      std::filesystem::copy_file(std::filesystem::path(from) / name,
                                 std::filesystem::path(to) / name);
    }
  }
  static inline uint64_t next_ = 1;
  TempDir dir_;
  TempDir copy_;
};

TEST_F(UnsyncedCommitsTest, AnImportIsDurableOnceSynced) {
  auto db = OpenDurable(dir_.path());
  Importer importer(db->table("permits"), {});
  for (int i = 0; i < 3; ++i) ImportBatch(*db, importer, 50, absl::StrCat(i));
  EXPECT_TRUE(HasCheckpoint(dir_.path())) << "the batches went unsynced";
  ASSERT_TRUE(importer.Sync().ok());
  EXPECT_FALSE(HasCheckpoint(dir_.path()));
  db.reset();
  db = OpenDurable(dir_.path());
  EXPECT_EQ(CountOf(*db), 150u);
  ExpectVerifies(*db);
}

TEST_F(UnsyncedCommitsTest, AWriteThatMustBeDurableSyncsTheBatchesBefore) {
  auto db = OpenDurable(dir_.path());
  Importer importer(db->table("permits"), {});
  ImportBatch(*db, importer, 50, "a");
  ImportBatch(*db, importer, 50, "b");
  ASSERT_TRUE(HasCheckpoint(dir_.path()));
  Permit p = MakePermit("c", "NY", PENDING);
  ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
  EXPECT_FALSE(HasCheckpoint(dir_.path()))
      << "an Insert answered durable left the import's batches unsynced";
}

TEST_F(UnsyncedCommitsTest, AnInterruptedImportRollsBackToItsLastSyncedBatch) {
  auto db = OpenDurable(dir_.path());
  Importer importer(db->table("permits"), {});
  ImportBatch(*db, importer, 40, "a");
  ImportBatch(*db, importer, 40, "b");
  const uint64_t last = ImportBatch(*db, importer, 40, "c");
  // The sync thread makes each batch the checkpoint once it is synced, and
  // c commits only once a is: the copy rolls back to a, b or c, whole.
  CopyFiles(dir_.path(), copy_.path());
  auto copy = OpenDurable(copy_.path());
  const uint64_t kept = CountOf(*copy);
  EXPECT_TRUE(kept == 40 || kept == 80 || kept == 120) << kept;
  ExpectVerifies(*copy);
  EXPECT_FALSE(HasCheckpoint(copy_.path()));
  EXPECT_TRUE(
      absl::StrContains(absl::StrJoin(copy->open_log(), "\n"), "rolled back"));
  // No revision batch c took (a watcher may have seen them) is given again.
  EXPECT_GE(copy->writer().committed_revision(), last);
  Permit p = MakePermit("d", "NY", PENDING);
  ASSERT_TRUE(copy->table("permits")->Insert(&p).ok());
  EXPECT_GT(copy->writer().committed_revision(), last);
  EXPECT_LE(copy->writer().committed_revision(),
            last + UnsyncedCommits::kCeilingHeadroom + 1);
  // The original goes on: its import completes.
  ASSERT_TRUE(importer.Sync().ok());
  EXPECT_EQ(CountOf(*db), 120u);
}

TEST_F(UnsyncedCommitsTest, AnInterruptedDirectoryIsNotReadBeforeItRollsBack) {
  auto db = OpenDurable(dir_.path());
  Importer importer(db->table("permits"), {});
  ImportBatch(*db, importer, 10, "a");
  ImportBatch(*db, importer, 10, "b");
  CopyFiles(dir_.path(), copy_.path());
  DatabaseOptions options = testing::PermitDbOptions(copy_.path());
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<Database>> reader =
      Database::Open(options, testing::PermitTables());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(reader.status().message(), kCheckpointFile))
      << reader.status();
  OpenDurable(copy_.path()).reset();  // rolls back
  reader = Database::Open(options, testing::PermitTables());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const uint64_t kept = CountOf(**reader);  // before a, or a, or a and b
  EXPECT_TRUE(kept == 0 || kept == 10 || kept == 20) << kept;
}

}  // namespace
}  // namespace lmdbapi::storage
