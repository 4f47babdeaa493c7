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

namespace {

// `put(flags)` with MDB_APPEND when `beyond`. MDB_APPEND refuses
// (MDB_KEYEXIST) a key that is not above the database's last: then the key
// goes in the ordinary way, which also reports a real MDB_NOOVERWRITE clash.
template <typename PutFn>
absl::Status AppendOrPut(bool beyond, unsigned flags, PutFn put) {
  if (beyond) {
    absl::Status appended = put(flags | MDB_APPEND);
    if (!absl::IsAlreadyExists(appended)) return appended;
  }
  return put(flags);
}

}  // namespace

absl::Status AppendTail::Put(Cursor& cursor, absl::string_view key,
                             absl::string_view value, unsigned flags) const {
  return AppendOrPut(Beyond(key), flags,
                     [&](unsigned f) { return cursor.Put(key, value, f); });
}

absl::Status AppendTail::Reserve(Cursor& cursor, absl::string_view key,
                                 size_t size, unsigned flags,
                                 char** out) const {
  return AppendOrPut(Beyond(key), flags, [&](unsigned f) {
    return cursor.Reserve(key, size, f, out);
  });
}

}  // namespace lmdbapi::storage
