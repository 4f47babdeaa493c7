#include "storage/append_tail.h"

#include "base/status_macros.h"

namespace lmdbapi::storage {

absl::StatusOr<AppendTail> AppendTail::Of(MDB_txn* txn, MDB_dbi dbi) {
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi));
  LMDBAPI_ASSIGN_OR_RETURN(bool any, cursor.Last());
  AppendTail tail;
  tail.empty_ = !any;
  if (any) tail.last_ = std::string(cursor.key());
  return tail;
}

// MDB_APPEND refuses (MDB_KEYEXIST) a key that is not above the database's
// last: then the key goes in the ordinary way, which also reports a real
// MDB_NOOVERWRITE clash.
absl::Status AppendTail::Put(Cursor& cursor, absl::string_view key,
                             absl::string_view value, unsigned flags) const {
  if (Beyond(key)) {
    absl::Status appended = cursor.Put(key, value, flags | MDB_APPEND);
    if (!absl::IsAlreadyExists(appended)) return appended;
  }
  return cursor.Put(key, value, flags);
}

absl::Status AppendTail::Reserve(Cursor& cursor, absl::string_view key,
                                 size_t size, unsigned flags,
                                 char** out) const {
  if (Beyond(key)) {
    absl::Status appended = cursor.Reserve(key, size, flags | MDB_APPEND, out);
    if (!absl::IsAlreadyExists(appended)) return appended;
  }
  return cursor.Reserve(key, size, flags, out);
}

}  // namespace lmdbapi::storage
