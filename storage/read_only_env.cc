#include "storage/read_only_env.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "storage/status.h"

namespace lmdbapi::storage {

absl::Status ReadOnlyEnv::Open(const std::string& dir, unsigned max_dbs) {
  std::string what = absl::StrCat("open '", dir, "' read-only");
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_create(&env_), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_maxdbs(env_, max_dbs), what);
  unsigned flags = MDB_RDONLY;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "lock.mdb")) {
    flags |= MDB_NOLOCK;
  }
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_open(env_, dir.c_str(), flags, 0644),
                              what);
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
