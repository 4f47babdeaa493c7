// An LMDB environment opened read-only (a backup, a snapshot, a copy being
// reported on), closed on destruction.
#ifndef LMDBAPI_STORAGE_READ_ONLY_ENV_H_
#define LMDBAPI_STORAGE_READ_ONLY_ENV_H_

#include <lmdb.h>

#include <string>

#include "absl/status/status.h"

namespace lmdbapi::storage {

class ReadOnlyEnv {
 public:
  ReadOnlyEnv() = default;
  ReadOnlyEnv(const ReadOnlyEnv&) = delete;
  ReadOnlyEnv& operator=(const ReadOnlyEnv&) = delete;
  ~ReadOnlyEnv() {
    if (env_ != nullptr) mdb_env_close(env_);
  }

  // Opens the data directory `dir`, with room for `max_dbs` named
  // databases. Without a lock file (a backup, or a copy nobody else opens)
  // the environment is opened without locking.
  absl::Status Open(const std::string& dir, unsigned max_dbs);
  MDB_env* get() const { return env_; }

 private:
  MDB_env* env_ = nullptr;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_READ_ONLY_ENV_H_
