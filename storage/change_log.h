// The change log behind Watch: every write (insert, update, delete, of any
// table) appends its revision, table, key and record bytes (for a delete,
// the last state) to "__changes", in the write's own transaction, so the log
// holds exactly the committed writes, in revision order, with no gaps.
// Retention: the newest `retention` changes; appending revision r drops
// r - retention.
#ifndef LMDBAPI_STORAGE_CHANGE_LOG_H_
#define LMDBAPI_STORAGE_CHANGE_LOG_H_

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

enum class ChangeType : uint8_t { kInsert = 1, kUpdate = 2, kDelete = 3 };

struct Change {
  uint64_t revision = 0;
  ChangeType type = ChangeType::kInsert;
  std::string table;
  std::string pk;
  std::string record;  // serialized; for a delete, the record as it was
};

class ChangeLog {
 public:
  ChangeLog(MDB_dbi dbi, MDB_dbi meta, uint64_t retention)
      : dbi_(dbi), meta_(meta), retention_(retention) {}

  // Appends the change at `revision` and drops the one `retention` older.
  absl::Status Append(MDB_txn* txn, uint64_t revision, ChangeType type,
                      absl::string_view table, absl::string_view pk,
                      absl::string_view record) const;

  // The first revision the log still holds; the next revision when it is
  // empty (nothing to miss).
  absl::StatusOr<uint64_t> Oldest(MDB_txn* txn) const;
  // The revision of the last committed write (0: none).
  absl::StatusOr<uint64_t> Last(MDB_txn* txn) const;

  // Up to `limit` changes with revision >= `from`, in order.
  absl::StatusOr<std::vector<Change>> Read(MDB_txn* txn, uint64_t from,
                                           size_t limit) const;

  uint64_t retention() const { return retention_; }

 private:
  MDB_dbi dbi_;
  MDB_dbi meta_;
  uint64_t retention_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_CHANGE_LOG_H_
