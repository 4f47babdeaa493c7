// Online, consistent backups: LMDB's compacting copy of one read snapshot.
//
// A copy is written to "<dir>/data.mdb.partial", synced, then renamed to
// "<dir>/data.mdb", so a directory holds a data.mdb only when the copy is
// whole. Writers keep committing while a copy runs (it holds one read
// transaction); the copy holds the state as of that transaction, compacted
// (free pages dropped). A backup directory is a data directory: restoring is
// copying it into a new data directory (which walks and checks every page).
#ifndef LMDBAPI_STORAGE_BACKUP_H_
#define LMDBAPI_STORAGE_BACKUP_H_

#include <lmdb.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace lmdbapi::storage {

// What a finished copy holds, read back from the copy itself.
struct CopyReport {
  std::string path;                         // the directory holding data.mdb
  uint64_t bytes = 0;                       // size of the copy's data.mdb
  std::map<std::string, uint64_t> records;  // per table (indexes excluded)
};

// Copies the open environment `env` into `dir` (created if missing). The
// caller keeps `env`'s map from moving meanwhile (see Environment::Copy).
// ALREADY_EXISTS when `dir` already holds a data.mdb.
absl::StatusOr<CopyReport> CopyEnvironment(MDB_env* env,
                                           const std::string& dir);

// Opens the data directory `from` read-only (a live server may keep writing
// to it; a backup directory needs no lock file) and copies it into `to`.
// NOT_FOUND when `from` holds no data.mdb.
absl::StatusOr<CopyReport> CopyDirectory(const std::string& from,
                                         const std::string& to);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_BACKUP_H_
