// Where a write in increasing key order may append.
//
// LMDB's MDB_APPEND puts a key above every stored one at the end of the last
// leaf without searching for it, and when that leaf is full starts a new one
// holding just the new key (an ordinary put splits it, biased so that the
// old leaf stays mostly full). A key above the tail is also known not to be
// stored, without a lookup. Keys that arrive in order (UUIDv7 primary keys,
// revisions, a sequence-like index) are the common case of an import.
#ifndef LMDBAPI_STORAGE_APPEND_TAIL_H_
#define LMDBAPI_STORAGE_APPEND_TAIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/lmdb.h"

namespace lmdbapi::storage {

class AppendTail {
 public:
  // The last key of `dbi` as `txn` sees it now.
  static absl::StatusOr<AppendTail> Of(MDB_txn* txn, MDB_dbi dbi);

  // Whether `key` sorts above every key the database held then (LMDB's
  // default order: bytes compared unsigned, a prefix first).
  bool Beyond(absl::string_view key) const {
    return empty_ || key.compare(last_) > 0;
  }

  // cursor.Put / cursor.Reserve, with MDB_APPEND when `key` is beyond the
  // tail. The caller writes in increasing key order; a key that is not
  // above the last one written is put the ordinary way.
  absl::Status Put(Cursor& cursor, absl::string_view key,
                   absl::string_view value, unsigned flags) const;
  absl::Status Reserve(Cursor& cursor, absl::string_view key, size_t size,
                       unsigned flags, char** out) const;

 private:
  bool empty_ = true;
  std::string last_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_APPEND_TAIL_H_
