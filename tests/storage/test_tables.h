// Hand-written table descriptions of the test records (what generated code
// will produce from a schema's options), and a scratch data directory.
#ifndef LMDBAPI_TESTS_STORAGE_TEST_TABLES_H_
#define LMDBAPI_TESTS_STORAGE_TEST_TABLES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "storage/database.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "tests/storage/test_records.pb.h"

namespace lmdbapi::testing {

// permits (main_composite(client, county, status), by_issued(issued),
// unique by_number(permit_number)); inspections under permits; notes under
// inspections.
std::vector<storage::TableSpec> PermitTables();

// all_kinds (test::AllKinds): an index on every field type an index can
// read, two of them unique (storage/wire_record.h's tests).
storage::TableSpec AllKindsTable();

// A directory under $TEST_TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Small, test-friendly options for PermitTables() in `dir`: a map of
// `map_size_bytes` that does not grow, no sync; tests change what they need.
storage::DatabaseOptions PermitDbOptions(const std::string& dir,
                                         uint64_t map_size_bytes = uint64_t{64}
                                                                   << 20);

// Opens PermitTables() in `dir` with small, test-friendly options.
std::unique_ptr<storage::Database> OpenPermitDb(
    const std::string& dir,
    storage::Durability durability = storage::Durability::kNoSync,
    uint64_t map_size_bytes = uint64_t{64} << 20);

test::Permit MakePermit(const std::string& client, const std::string& county,
                        test::PermitStatus status, int64_t issued_seconds = 0);

// `n` permits of client `tag`, each with a new UUIDv7 and the distinct
// permit number "<tag>-<i>" (the unique index by_number).
std::vector<test::Permit> NumberedPermits(int n, const std::string& tag);

// A query of `predicates`, `filter` and `order_by` (its first page).
storage::Query QueryOf(std::vector<storage::Predicate> predicates,
                       std::string filter = "", std::string order_by = "");

// Holds `db`'s writer thread with a local operation until `release`.
void HoldWriter(storage::Database& db, absl::Notification& release);

}  // namespace lmdbapi::testing

#endif  // LMDBAPI_TESTS_STORAGE_TEST_TABLES_H_
