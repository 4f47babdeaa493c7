#include "storage/environment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/checkpoint_file.h"
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

// How a read-only environment shares its directory (see EnvOptions): the
// fcntl lock that keeps a writer out while it reads without the lock file
// (fd, MDB_NOLOCK), or no lock of its own (-1, reading through lock.mdb
// beside the process that has the environment open).
struct ReadOnlyLock {
  int fd = -1;
  unsigned flags = 0;
};

absl::StatusOr<ReadOnlyLock> LockForReading(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "lock.mdb").string();
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  bool writable = fd >= 0;
  if (fd < 0 && errno != ENOENT) fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  // No lock file (a copied directory) or an unreadable one: nobody serves it.
  if (fd < 0) return ReadOnlyLock{-1, MDB_NOLOCK};
  // Every process with the environment open holds a lock on byte 0.
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_len = 1;
  bool alone;
  if (writable) {
    alone = fcntl(fd, F_SETLK, &lock) == 0;
  } else {
    alone = fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type == F_UNLCK;
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 1;
    alone = alone && fcntl(fd, F_SETLK, &lock) == 0;
  }
  if (alone) return ReadOnlyLock{fd, MDB_NOLOCK};
  close(fd);
  if (writable) return ReadOnlyLock{-1, 0};
  return absl::FailedPreconditionError(absl::StrCat(
      "data directory '", dir,
      "' is open in another process (a server?) and its lock.mdb is not "
      "writable here, so it cannot be read safely beside it; ask the server "
      "instead, or stop it"));
}

// Whether no process has the environment at `dir` open: each that has
// holds a lock on lock.mdb's first byte. (Closing the descriptor drops this
// process's own locks on the file: call it before this process opens it.)
bool NobodyHasItOpen(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / "lock.mdb").string();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_len = 1;
  bool alone = fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type == F_UNLCK;
  close(fd);
  return alone;
}

// A directory left with a checkpoint (storage/checkpoint_file.h) by a
// process that stopped while commits went unsynced: rolled back when opened
// for writing by the only process; refused when opened read-only alone
// (reading it as it is might meet the pages a power cut left torn).
absl::StatusOr<bool> RollBackOnOpen(const EnvOptions& options,
                                    bool alone_reading) {
  if (!options.read_only) return RollBackIfInterrupted(options.path);
  if (!alone_reading || !HasCheckpoint(options.path)) return false;
  return absl::FailedPreconditionError(absl::StrCat(
      "data directory '", options.path, "' holds ", kCheckpointFile,
      ": the process writing it stopped while its last commits were not "
      "yet synced (an import's last batches, or a replica's latest log "
      "entries); open the directory for writing once (start its server, "
      "or any lmdbapi command that writes) to roll them back, then read "
      "it"));
}

absl::Status CheckOptions(const EnvOptions& options) {
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
  if (options.read_only) {
    std::error_code error;
    if (!std::filesystem::exists(
            std::filesystem::path(options.path) / "data.mdb", error)) {
      return absl::NotFoundError(
          absl::StrCat("data directory '", options.path,
                       "' holds no database (no data.mdb)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> RollBackIfInterrupted(const std::string& dir) {
  if (!HasCheckpoint(dir) || !NobodyHasItOpen(dir)) return false;
  return RollBackToCheckpoint(dir);
}

absl::StatusOr<std::unique_ptr<Environment>> Environment::Open(
    const EnvOptions& options) {
  LMDBAPI_RETURN_IF_ERROR(CheckOptions(options));
  if (options.create_directory && !options.read_only) {
    LMDBAPI_RETURN_IF_ERROR(CreateDirectoriesDurably(options.path));
  }
  std::unique_ptr<Environment> env(new Environment(options));
  unsigned flags = EnvFlags(options.durability);
  bool alone_reading = false;
  if (options.read_only) {
    LMDBAPI_ASSIGN_OR_RETURN(ReadOnlyLock lock, LockForReading(options.path));
    env->lock_guard_ = lock.fd;
    flags |= MDB_RDONLY | lock.flags;
    alone_reading = (lock.flags & MDB_NOLOCK) != 0;
  }
  LMDBAPI_ASSIGN_OR_RETURN(env->rolled_back_,
                           RollBackOnOpen(options, alone_reading));
  std::string what = absl::StrCat("open LMDB environment '", options.path, "'");
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_create(&env->env_), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_env_set_mapsize(env->env_, options.map_size_bytes), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_env_set_maxreaders(env->env_, options.max_readers), what);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_maxdbs(env->env_, options.max_dbs),
                              what);
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_env_open(env->env_, options.path.c_str(), flags, 0644), what);
  // LMDB syncs its files, never their names: a data.mdb it just created
  // would vanish with a power cut, taking every acknowledged write along.
  if (!options.read_only) {
    LMDBAPI_RETURN_IF_ERROR(SyncDirectory(options.path));
  }
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
  if (lock_guard_ >= 0) close(lock_guard_);
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
  int rc = mdb_dbi_open(txn, name.c_str(), options_.read_only ? 0 : MDB_CREATE,
                        &dbi);
  if (rc == MDB_NOTFOUND && options_.read_only) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory '", options_.path, "' has no database '", name,
        "' (open read-only, it cannot be created: open the directory for "
        "writing once, e.g. start its server, with this schema)"));
  }
  LMDBAPI_RETURN_IF_MDB_ERROR(rc, absl::StrCat("open database '", name, "'"));
  return dbi;
}

absl::Status Environment::GrowMap() {
  absl::MutexLock gate(&map_gate_);
  // Snapshots hold no lock: wait for them (no new one starts meanwhile).
  snapshots_mu_.LockWhen(absl::Condition(
      +[](int* live) { return *live == 0; }, &snapshots_));
  snapshots_mu_.Unlock();
  if (map_size_ >= options_.max_map_size_bytes) {
    return WithReason(absl::ResourceExhaustedError(absl::StrCat(
                          "the database is full: the map is at its limit of ",
                          options_.max_map_size_bytes,
                          " bytes; raise the limit and restart")),
                      kMapFullReason);
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
