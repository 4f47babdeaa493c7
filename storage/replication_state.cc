#include "storage/replication_state.h"

#include <lmdb.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/writer.h"

namespace lmdbapi::storage {
namespace {

struct EnvCloser {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};

}  // namespace

absl::Status ForgetReplicationLog(const std::string& dir) {
  std::string what = absl::StrCat("forget the replication log of '", dir, "'");
  MDB_env* raw = nullptr;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_create(&raw), what);
  std::unique_ptr<MDB_env, EnvCloser> env(raw);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_maxdbs(raw, 1024), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_open(raw, dir.c_str(), 0, 0644), what);
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginWrite(raw, nullptr));
  MDB_dbi meta;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn.get(), kMetaDb, 0, &meta), what);
  absl::Status deleted = DeleteKey(txn.get(), meta, Writer::kAppliedKey);
  if (absl::IsNotFound(deleted)) return absl::OkStatus();
  LMDBAPI_RETURN_IF_ERROR(deleted);
  return txn.Commit();
}

}  // namespace lmdbapi::storage
