#include "storage/replica_snapshot.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/coding.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

// The named databases of the environment `txn` reads: the main database's
// keys.
absl::StatusOr<std::set<std::string>> DatabaseNames(MDB_txn* txn) {
  MDB_dbi main;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn, nullptr, 0, &main),
                              "list the databases");
  LMDBAPI_ASSIGN_OR_RETURN(Cursor names, Cursor::Open(txn, main));
  std::set<std::string> out;
  absl::StatusOr<bool> more = names.First();
  for (; more.ok() && *more; more = names.Next()) {
    out.emplace(names.key());
  }
  if (!more.ok()) return more.status();
  return out;
}

// Replaces the database `name` of `to` with the one of `from`.
absl::Status CopyDatabase(MDB_txn* from, MDB_txn* to, const std::string& name) {
  std::string what = absl::StrCat("install the snapshot's ", name);
  MDB_dbi source, target;
  unsigned flags = 0;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(from, name.c_str(), 0, &source),
                              what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_flags(from, source, &flags), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_dbi_open(to, name.c_str(), flags | MDB_CREATE, &target), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(to, target, 0), what);
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(from, source));
  absl::StatusOr<bool> more = cursor.First();
  for (; more.ok() && *more; more = cursor.Next()) {
    // The copy's keys come in order: each goes at the end of the tree.
    MDB_val key = ToVal(cursor.key()), value = ToVal(cursor.value());
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_put(to, target, &key, &value, MDB_APPEND),
                                what);
  }
  return more.status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplicaSnapshot>> ReplicaSnapshot::Open(
    const std::string& dir) {
  std::unique_ptr<ReplicaSnapshot> snapshot(new ReplicaSnapshot());
  LMDBAPI_RETURN_IF_ERROR(snapshot->env_.Open(dir, 1024));
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginRead(snapshot->env_.get()));
  MDB_dbi meta;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn.get(), kMetaDb, 0, &meta),
                              absl::StrCat("read the snapshot in '", dir, "'"));
  absl::StatusOr<absl::string_view> applied =
      GetValue(txn.get(), meta, Writer::kAppliedKey);
  if (!applied.ok() || applied->size() != 8) {
    return absl::DataLossError(
        absl::StrCat("the snapshot in '", dir,
                     "' is not a replica's: it records no log position"));
  }
  snapshot->applied_ = DecodeFixed64(applied->data());
  return snapshot;
}

absl::Status ReplicaSnapshot::CopyInto(MDB_txn* txn) const {
  LMDBAPI_ASSIGN_OR_RETURN(Txn from, Txn::BeginRead(env_.get()));
  LMDBAPI_ASSIGN_OR_RETURN(std::set<std::string> theirs,
                           DatabaseNames(from.get()));
  LMDBAPI_ASSIGN_OR_RETURN(std::set<std::string> ours, DatabaseNames(txn));
  for (const std::string& name : ours) {
    if (theirs.count(name) != 0) continue;
    MDB_dbi dbi;
    std::string what = absl::StrCat("empty ", name);
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn, name.c_str(), 0, &dbi), what);
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(txn, dbi, 0), what);
  }
  for (const std::string& name : theirs) {
    LMDBAPI_RETURN_IF_ERROR(CopyDatabase(from.get(), txn, name));
  }
  return absl::OkStatus();
}

absl::Status ReplicaSnapshot::InstallInto(Writer& writer) const {
  return writer.InstallSnapshot([this](MDB_txn* txn) { return CopyInto(txn); },
                                applied_);
}

}  // namespace lmdbapi::storage
