#include "storage/lmdb.h"

#include "storage/status.h"

namespace lmdbapi::storage {

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    Abort();
    txn_ = other.txn_;
    other.txn_ = nullptr;
  }
  return *this;
}

absl::StatusOr<Txn> Txn::BeginWrite(MDB_env* env, MDB_txn* parent) {
  MDB_txn* txn = nullptr;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_txn_begin(env, parent, 0, &txn),
                              "begin write transaction");
  return Txn(txn);
}

absl::StatusOr<Txn> Txn::BeginRead(MDB_env* env) {
  MDB_txn* txn = nullptr;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn),
                              "begin read transaction");
  return Txn(txn);
}

absl::Status Txn::Commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the handle even when it fails.
  return LmdbStatus(mdb_txn_commit(txn), "commit");
}

void Txn::Abort() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

absl::StatusOr<Cursor> Cursor::Open(MDB_txn* txn, MDB_dbi dbi) {
  MDB_cursor* cursor = nullptr;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_cursor_open(txn, dbi, &cursor),
                              "open cursor");
  return Cursor(cursor);
}

absl::StatusOr<bool> Cursor::Move(MDB_cursor_op op) {
  int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return LmdbStatus(rc, "cursor");
  return true;
}

absl::StatusOr<bool> Cursor::Seek(absl::string_view key) {
  if (key.empty()) return First();  // LMDB rejects empty keys
  key_ = ToVal(key);
  return Move(MDB_SET_RANGE);
}
absl::StatusOr<bool> Cursor::First() { return Move(MDB_FIRST); }
absl::StatusOr<bool> Cursor::Next() { return Move(MDB_NEXT); }
absl::StatusOr<bool> Cursor::Last() { return Move(MDB_LAST); }
absl::StatusOr<bool> Cursor::Prev() { return Move(MDB_PREV); }

absl::StatusOr<bool> Cursor::Find(absl::string_view key) {
  key_ = ToVal(key);
  return Move(MDB_SET_KEY);
}

absl::Status Cursor::Put(absl::string_view key, absl::string_view value,
                         unsigned flags) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  return LmdbStatus(mdb_cursor_put(cursor_, &k, &v, flags), "put");
}

absl::Status Cursor::Reserve(absl::string_view key, size_t size, unsigned flags,
                             char** out) {
  MDB_val k = ToVal(key);
  MDB_val v{size, nullptr};
  int rc = mdb_cursor_put(cursor_, &k, &v, flags | MDB_RESERVE);
  *out = static_cast<char*>(v.mv_data);
  return LmdbStatus(rc, "put");
}

absl::Status Cursor::Delete() {
  return LmdbStatus(mdb_cursor_del(cursor_, 0), "delete");
}

absl::StatusOr<absl::string_view> GetValue(MDB_txn* txn, MDB_dbi dbi,
                                           absl::string_view key) {
  MDB_val k = ToVal(key);
  MDB_val v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc != 0) return LmdbStatus(rc, "get");
  return ToView(v);
}

absl::Status PutValue(MDB_txn* txn, MDB_dbi dbi, absl::string_view key,
                      absl::string_view value, unsigned flags) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  return LmdbStatus(mdb_put(txn, dbi, &k, &v, flags), "put");
}

absl::Status DeleteKey(MDB_txn* txn, MDB_dbi dbi, absl::string_view key) {
  MDB_val k = ToVal(key);
  return LmdbStatus(mdb_del(txn, dbi, &k, nullptr), "delete");
}

}  // namespace lmdbapi::storage
