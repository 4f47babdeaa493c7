#include "storage/environment.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/durable_directory.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

unsigned EnvFlags(Durability durability) {
  // NOTLS: read transactions are pooled and may move between threads.
  // NORDAHEAD: random reads of a large map should not pull in neighbours.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  switch (durability) {
    case Durability::kDurable:
      break;
    case Durability::kNoMetaSync:
      flags |= MDB_NOMETASYNC;
      break;
    case Durability::kNoSync:
      flags |= MDB_NOSYNC;
      break;
  }
  return flags;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Environment>> Environment::Open(
    const EnvOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("data directory: no path given");
  }
  if (options.map_size_bytes == 0) {
    return absl::InvalidArgumentError("map size must be positive");
  }
  if (options.max_map_size_bytes != 0 &&
      options.max_map_size_bytes < options.map_size_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max map size (", options.max_map_size_bytes,
        " bytes) is smaller than the map size (", options.map_size_bytes, ")"));
  }
  if (options.create_directory) {
    LMDBAPI_RETURN_IF_ERROR(CreateDirectoriesDurably(options.path));
  }
  std::unique_ptr<Environment> env(new Environment(options));
  std::string what = absl::StrCat("open LMDB environment '", options.path, "'");
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_create(&env->env_), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_env_set_mapsize(env->env_, options.map_size_bytes), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_env_set_maxreaders(env->env_, options.max_readers), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_maxdbs(env->env_, options.max_dbs),
                              what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_open(env->env_, options.path.c_str(),
                                           EnvFlags(options.durability), 0644),
                              what);
  // LMDB syncs its files, never their names: a data.mdb it just created
  // would vanish with a power cut, taking every acknowledged write along.
  LMDBAPI_RETURN_IF_ERROR(SyncDirectory(options.path));
  // A map that another process (or an earlier run) made larger is adopted.
  MDB_envinfo info;
  mdb_env_info(env->env_, &info);
  env->map_size_ = info.me_mapsize;
  if (env->options_.max_map_size_bytes == 0) {
    env->options_.max_map_size_bytes =
        std::max<uint64_t>(env->map_size_, env->options_.map_size_bytes);
  }
  return env;
}

Environment::~Environment() {
  {
    absl::MutexLock lock(&pool_mu_);
    for (MDB_txn* txn : pool_) mdb_txn_abort(txn);
    pool_.clear();
  }
  if (env_ != nullptr) mdb_env_close(env_);
}

Environment::ReadTxn::~ReadTxn() {
  if (txn_ == nullptr) return;
  mdb_txn_reset(txn_);
  if (snapshot_) {
    absl::MutexLock lock(&env_->snapshots_mu_);
    --env_->snapshots_;
  } else {
    env_->map_gate_.ReaderUnlock();
  }
  absl::MutexLock lock(&env_->pool_mu_);
  env_->pool_.push_back(txn_);
}

absl::StatusOr<Environment::ReadTxn> Environment::BeginRead() {
  MDB_txn* txn = nullptr;
  {
    absl::MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      txn = pool_.back();
      pool_.pop_back();
    }
  }
  map_gate_.ReaderLock();
  int rc = txn != nullptr ? mdb_txn_renew(txn)
                          : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    map_gate_.ReaderUnlock();
    if (txn != nullptr) mdb_txn_abort(txn);
    return LmdbStatus(rc, "begin read transaction");
  }
  return ReadTxn(this, txn, /*snapshot=*/false);
}

absl::StatusOr<Environment::ReadTxn> Environment::BeginSnapshot() {
  absl::ReaderMutexLock gate(&map_gate_);  // not while the map grows
  MDB_txn* txn = nullptr;
  {
    absl::MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      txn = pool_.back();
      pool_.pop_back();
    }
  }
  int rc = txn != nullptr ? mdb_txn_renew(txn)
                          : mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    if (txn != nullptr) mdb_txn_abort(txn);
    return LmdbStatus(rc, "begin read snapshot");
  }
  absl::MutexLock lock(&snapshots_mu_);
  ++snapshots_;
  return ReadTxn(this, txn, /*snapshot=*/true);
}

absl::StatusOr<MDB_dbi> Environment::OpenDatabase(MDB_txn* txn,
                                                  const std::string& name) {
  MDB_dbi dbi;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbi),
                              absl::StrCat("open database '", name, "'"));
  return dbi;
}

absl::Status Environment::GrowMap() {
  absl::MutexLock gate(&map_gate_);
  // Snapshots hold no lock: wait for them (no new one starts meanwhile).
  snapshots_mu_.LockWhen(absl::Condition(
      +[](int* live) { return *live == 0; }, &snapshots_));
  snapshots_mu_.Unlock();
  if (map_size_ >= options_.max_map_size_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the database is full: the map is at its limit of ",
        options_.max_map_size_bytes, " bytes; raise the limit and restart"));
  }
  uint64_t next = std::min(map_size_ * 2, options_.max_map_size_bytes);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_mapsize(env_, next), "grow map");
  map_size_ = next;
  return absl::OkStatus();
}

absl::StatusOr<CopyReport> Environment::Copy(const std::string& dir) {
  absl::ReaderMutexLock gate(&map_gate_);  // the copy reads the map
  return CopyEnvironment(env_, dir);
}

MapInfo Environment::Info() {
  MDB_envinfo info;
  MDB_stat stat;
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  MapInfo out;
  out.map_size_bytes = info.me_mapsize;
  out.max_map_size_bytes = options_.max_map_size_bytes;
  out.used_bytes = (info.me_last_pgno + 1) * uint64_t{stat.ms_psize};
  out.page_size_bytes = stat.ms_psize;
  out.readers_in_use = info.me_numreaders;
  out.max_readers = info.me_maxreaders;
  out.last_txn_id = info.me_last_txnid;
  return out;
}

}  // namespace lmdbapi::storage
