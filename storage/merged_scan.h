// Reads a plan's key ranges (storage/query.h) as one sequence in the plan's
// order: each range's entries come in key order, and entries of several
// ranges are merged by their sort key (the key after the range's fixed
// bytes, then the primary key), each record once. A scan resumes after a
// sort key (or, reading backward, before it): what page tokens carry.
#ifndef LMDBAPI_STORAGE_MERGED_SCAN_H_
#define LMDBAPI_STORAGE_MERGED_SCAN_H_

#include <lmdb.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/lmdb.h"
#include "storage/query.h"

namespace lmdbapi::storage {

class MergedScan {
 public:
  // One range and the database that holds it (an index's, or the records').
  struct Source {
    const KeyRange* range;
    MDB_dbi dbi;
  };

  // Positions every range at its first entry in the plan's order, or at the
  // first one past `after` (a sort key a previous scan returned).
  static absl::StatusOr<MergedScan> Open(MDB_txn* txn,
                                         absl::Span<const Source> sources,
                                         bool backward,
                                         const std::string* after);

  // Moves to the next entry; false at the end.
  absl::StatusOr<bool> Next();

  // The current entry: the record's primary key, its value in the scanned
  // database (the record itself when the range is of the records), its range
  // and its sort key. Valid until the next call to Next.
  absl::string_view pk() const { return current_->pk; }
  absl::string_view value() const { return current_->cursor.value(); }
  const KeyRange& range() const { return *current_->range; }
  absl::string_view sort_key() const { return current_->sort_key; }

 private:
  struct Stream {
    Cursor cursor;
    const KeyRange* range;
    bool valid = false;
    absl::string_view pk;
    absl::string_view sort_key;
    std::string buffer;  // the sort key when it is not a part of the key
  };

  MergedScan(bool backward) : backward_(backward) {}
  absl::Status Position(Stream& s, const std::string* after);
  absl::Status PositionBackward(Stream& s, const std::string* after);
  absl::Status Advance(Stream& s);
  // Reads the entry under the cursor, or marks the stream done when the
  // cursor left the range (`moved`: whether it is on an entry at all).
  absl::Status Load(Stream& s, bool moved);
  Stream* Best();

  bool backward_;
  std::vector<Stream> streams_;
  Stream* current_ = nullptr;
  std::string last_;  // the sort key last returned (several ranges)
  bool has_last_ = false;
};

// How many entries one range holds, walking its keys without looking at
// them further: what an index-only count of a single range costs.
absl::StatusOr<uint64_t> CountEntries(MDB_txn* txn, MDB_dbi dbi,
                                      const KeyRange& range);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_MERGED_SCAN_H_
