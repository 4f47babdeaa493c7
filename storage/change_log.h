// The change log behind Watch: every write (insert, update, delete, of any
// table) appends its revision, table, key and record bytes (for a delete,
// the last state) to "__changes", in the write's own transaction, so the log
// holds exactly the committed writes, in revision order, with no gaps.
// A commit's writes share one revision (storage/revision_clock.h): the key
// is the revision (8 bytes, big-endian) for the first change of a revision
// and the revision + the change's position (4 bytes) for the others, so keys
// written before commits existed read the same.
// Retention: the newest `retention` revisions. A write transaction that
// appends changes ends with Trim, which drops every revision older than that
// (the writer calls it once a batch, just before the batch commits).
#ifndef LMDBAPI_STORAGE_CHANGE_LOG_H_
#define LMDBAPI_STORAGE_CHANGE_LOG_H_

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace lmdbapi::storage {

enum class ChangeType : uint8_t { kInsert = 1, kUpdate = 2, kDelete = 3 };

struct Change {
  uint64_t revision = 0;
  uint32_t position = 0;  // within the revision: 0, 1, … (a commit's writes)
  ChangeType type = ChangeType::kInsert;
  std::string table;
  std::string pk;
  std::string record;  // serialized; for a delete, the record as it was
  // Not stored: set by a reader (Watch) on the last change of a revision
  // that it passes on, so its consumer can tell where a commit ends.
  bool commit_end = false;
};

// A change to append, its bytes borrowed.
struct NewChange {
  uint64_t revision = 0;
  uint32_t position = 0;
  ChangeType type = ChangeType::kInsert;
  absl::string_view table;
  absl::string_view pk;
  absl::string_view record;
};

class ChangeLog {
 public:
  ChangeLog(MDB_dbi dbi, MDB_dbi meta, uint64_t retention)
      : dbi_(dbi), meta_(meta), retention_(retention) {}

  // Appends the change at (`revision`, `position`).
  absl::Status Append(MDB_txn* txn, uint64_t revision, uint32_t position,
                      ChangeType type, absl::string_view table,
                      absl::string_view pk, absl::string_view record) const;
  // Appends `changes` (in revision order, newer than any logged) through one
  // cursor.
  absl::Status AppendAll(MDB_txn* txn,
                         absl::Span<const NewChange> changes) const;
  // Drops the changes of every revision `retention` or more older than
  // `revision` (the newest the transaction wrote), in one sweep from the
  // log's start: once a batch of writes, where each write used to drop its
  // own (~4,900 instructions an Insert, a cursor opened and a descent each).
  absl::Status Trim(MDB_txn* txn, uint64_t revision) const;

  // The first revision the log still holds; the next revision when it is
  // empty (nothing to miss).
  absl::StatusOr<uint64_t> Oldest(MDB_txn* txn) const;
  // The revision of the last committed write (0: none).
  absl::StatusOr<uint64_t> Last(MDB_txn* txn) const;

  // The changes with revision >= `from`, in order: about `limit` of them,
  // never part of a revision (a commit is read whole).
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
