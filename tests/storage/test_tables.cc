#include "tests/storage/test_tables.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/uuid.h"

namespace lmdbapi::testing {

std::vector<storage::TableSpec> PermitTables() {
  storage::TableSpec permits;
  permits.name = "permits";
  permits.descriptor = test::Permit::descriptor();
  permits.primary_key = "uuid";
  permits.indexes = {
      {"main_composite", {"client", "county", "status"}, false},
      {"by_issued", {"issued"}, false},
      {"by_number", {"permit_number"}, true},
  };
  storage::TableSpec inspections;
  inspections.name = "inspections";
  inspections.descriptor = test::Inspection::descriptor();
  inspections.primary_key = "uuid";
  inspections.parent_table = "permits";
  inspections.parent_key = "permit_uuid";
  inspections.indexes = {{"by_inspector", {"inspector", "passed"}, false}};
  storage::TableSpec notes;
  notes.name = "notes";
  notes.descriptor = test::InspectionNote::descriptor();
  notes.primary_key = "uuid";
  notes.parent_table = "inspections";
  notes.parent_key = "inspection_uuid";
  return {permits, inspections, notes};
}

storage::TableSpec AllKindsTable() {
  storage::TableSpec spec;
  spec.name = "all_kinds";
  spec.descriptor = test::AllKinds::descriptor();
  spec.primary_key = "uuid";
  spec.indexes = {
      {"ints", {"i32", "i64", "s32", "s64", "sf32", "sf64"}},
      {"uints", {"u32", "u64", "f32", "f64"}},
      {"floats", {"fl", "db"}},
      {"by_text", {"text", "flag"}, /*unique=*/true},
      {"by_blob", {"blob", "tier", "at"}},
      {"by_maybe", {"maybe", "one_text", "one_number"}, /*unique=*/true},
  };
  return spec;
}

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern =
      std::string(base != nullptr ? base : "/tmp") + "/lmdbapi-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

storage::DatabaseOptions PermitDbOptions(const std::string& dir,
                                         uint64_t map_size_bytes) {
  storage::DatabaseOptions options;
  options.env.path = dir;
  options.env.map_size_bytes = map_size_bytes;
  options.env.durability = storage::Durability::kNoSync;
  return options;
}

std::unique_ptr<storage::Database> OpenPermitDb(const std::string& dir,
                                                storage::Durability durability,
                                                uint64_t map_size_bytes) {
  storage::DatabaseOptions options = PermitDbOptions(dir, map_size_bytes);
  options.env.durability = durability;
  auto db = storage::Database::Open(options, PermitTables());
  if (!db.ok()) {
    fprintf(stderr, "open %s: %s\n", dir.c_str(),
            db.status().ToString().c_str());
    std::abort();
  }
  return *std::move(db);
}

test::Permit MakePermit(const std::string& client, const std::string& county,
                        test::PermitStatus status, int64_t issued_seconds) {
  test::Permit p;
  p.set_client(client);
  p.set_county(county);
  p.set_status(status);
  p.set_county_status("Active");
  p.mutable_issued()->set_seconds(issued_seconds);
  return p;
}

storage::Query QueryOf(std::vector<storage::Predicate> predicates,
                       std::string filter, std::string order_by) {
  storage::Query q;
  q.predicates = std::move(predicates);
  q.filter = std::move(filter);
  q.order_by = std::move(order_by);
  return q;
}

std::vector<test::Permit> NumberedPermits(int n, const std::string& tag) {
  std::vector<test::Permit> out;
  for (int i = 0; i < n; ++i) {
    test::Permit p = MakePermit(tag, "NY", test::PENDING, i);
    p.set_uuid(storage::NewUuidV7());
    p.set_permit_number(absl::StrCat(tag, "-", i));
    out.push_back(p);
  }
  return out;
}

void HoldWriter(storage::Database& db, absl::Notification& release) {
  absl::Notification held;
  db.writer().Submit(
      [&](MDB_txn*) {
        held.Notify();
        release.WaitForNotification();
        return absl::OkStatus();
      },
      [](absl::Status) {});
  held.WaitForNotification();
}

}  // namespace lmdbapi::testing
