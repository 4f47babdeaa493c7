// RAII handles over the LMDB C API: environment, transaction, cursor.
// Each handle owns its LMDB object and releases it in its destructor; none is
// copyable. Errors come back as absl::Status (see status.h).
#ifndef LMDBAPI_STORAGE_LMDB_H_
#define LMDBAPI_STORAGE_LMDB_H_

#include <lmdb.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

// lmdbapi's own database in every environment: its format version, schema,
// page-token secret, revision counter and replication state.
inline constexpr char kMetaDb[] = "__lmdbapi_meta";

inline MDB_val ToVal(absl::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline absl::string_view ToView(const MDB_val& val) {
  return absl::string_view(static_cast<const char*>(val.mv_data), val.mv_size);
}

// A transaction. Aborted on destruction unless committed. A read-only
// transaction borrowed from a pool is returned by its owner, not here.
class Txn {
 public:
  Txn() = default;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  Txn(Txn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  // Begins a write transaction, nested in `parent` when it is not null.
  static absl::StatusOr<Txn> BeginWrite(MDB_env* env, MDB_txn* parent);
  // Begins a read-only transaction of its own (not pooled). Committing it
  // keeps the database handles it opened; aborting closes them.
  static absl::StatusOr<Txn> BeginRead(MDB_env* env);

  absl::Status Commit();
  void Abort();
  MDB_txn* get() const { return txn_; }
  // Gives up ownership (for pooled read transactions).
  MDB_txn* release() {
    MDB_txn* txn = txn_;
    txn_ = nullptr;
    return txn;
  }

 private:
  MDB_txn* txn_ = nullptr;
};

// A cursor on one database inside one transaction; closed on destruction.
class Cursor {
 public:
  static absl::StatusOr<Cursor> Open(MDB_txn* txn, MDB_dbi dbi);
  Cursor(Cursor&& other) noexcept : cursor_(other.cursor_) {
    other.cursor_ = nullptr;
  }
  Cursor& operator=(Cursor&& other) noexcept {
    std::swap(cursor_, other.cursor_);
    return *this;
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }

  // Positions at the first key >= `key`. Returns false at the end.
  absl::StatusOr<bool> Seek(absl::string_view key);
  absl::StatusOr<bool> First();
  absl::StatusOr<bool> Next();
  absl::StatusOr<bool> Last();
  // Returns false before the first key.
  absl::StatusOr<bool> Prev();
  // Positions at `key` itself; false when it is absent.
  absl::StatusOr<bool> Find(absl::string_view key);
  // mdb_cursor_put (`flags` as PutValue's). A key at or next to the
  // cursor's page costs one page search, not a descent from the root: keys
  // written in sorted order through one cursor are cheap.
  absl::Status Put(absl::string_view key, absl::string_view value,
                   unsigned flags = 0);
  // mdb_cursor_put with MDB_RESERVE: room for a value of `size` bytes under
  // `key`, at `*out`, to be filled before the transaction's next write (a
  // value built in place instead of copied in).
  absl::Status Reserve(absl::string_view key, size_t size, unsigned flags,
                       char** out);
  // Deletes the entry the cursor is at.
  absl::Status Delete();
  absl::string_view key() const { return ToView(key_); }
  absl::string_view value() const { return ToView(value_); }
  MDB_cursor* get() const { return cursor_; }

 private:
  explicit Cursor(MDB_cursor* cursor) : cursor_(cursor) {}
  absl::StatusOr<bool> Move(MDB_cursor_op op);

  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{0, nullptr};
  MDB_val value_{0, nullptr};
};

// Point read: NOT_FOUND when absent. The view is valid while `txn` is live.
absl::StatusOr<absl::string_view> GetValue(MDB_txn* txn, MDB_dbi dbi,
                                           absl::string_view key);
// Writes key -> value. `flags` are mdb_put flags (e.g. MDB_NOOVERWRITE).
absl::Status PutValue(MDB_txn* txn, MDB_dbi dbi, absl::string_view key,
                      absl::string_view value, unsigned flags = 0);
// Deletes key; NOT_FOUND when absent.
absl::Status DeleteKey(MDB_txn* txn, MDB_dbi dbi, absl::string_view key);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_LMDB_H_
