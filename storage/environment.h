// One LMDB environment on a data directory: options, named databases, pooled
// read transactions and map growth.
#ifndef LMDBAPI_STORAGE_ENVIRONMENT_H_
#define LMDBAPI_STORAGE_ENVIRONMENT_H_

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/backup.h"

namespace lmdbapi::storage {

enum class Durability {
  kDurable,     // fsync data and meta page on every commit (default)
  kNoMetaSync,  // fsync data only; the last commit may roll back on a crash
  kNoSync,      // no fsync; the OS flushes; a crash can lose recent commits
};

struct EnvOptions {
  std::string path;  // data directory
  uint64_t map_size_bytes = uint64_t{1}
                            << 30;  // initial map (LMDB_MAP_SIZE_GB)
  // The map grows by doubling when full, up to this limit; then writes fail
  // with RESOURCE_EXHAUSTED. 0 means "no growth": the limit is the map size.
  uint64_t max_map_size_bytes = 0;
  unsigned max_readers = 512;
  unsigned max_dbs = 128;
  Durability durability = Durability::kDurable;
  bool create_directory = true;
  // MDB_RDONLY: nothing in the directory is written, nor created (NOT_FOUND
  // when it holds no data.mdb); no write transaction can begin. When no
  // other process has the environment open, reads go without the lock file
  // (MDB_NOLOCK: lock.mdb is not touched, and the directory may be on a
  // read-only mount) and a write lock on lock.mdb keeps a server from
  // starting on it meanwhile (its open waits until this one closes). When a
  // server has it open, this one reads beside it as an ordinary reader.
  bool read_only = false;
};

// Map figures for logs and metrics.
struct MapInfo {
  uint64_t map_size_bytes = 0;
  uint64_t max_map_size_bytes = 0;
  uint64_t used_bytes = 0;  // (last page + 1) * page size
  uint64_t page_size_bytes = 0;
  // Reader slots taken (LMDB keeps a pooled transaction's slot while it
  // rests in the pool), and the slots the lock file has room for: max_readers,
  // or more when an earlier run made the lock file larger.
  unsigned readers_in_use = 0;
  unsigned max_readers = 0;
  uint64_t last_txn_id = 0;  // of the last committed write transaction
};

// When `dir` holds the checkpoint of a process that stopped while commits
// went unsynced and no process has it open: rolls data.mdb back to it
// (storage/checkpoint_file.h) and returns true. Opening the environment for
// writing does this; a command that reads the directory before it opens it
// for writing calls it first.
absl::StatusOr<bool> RollBackIfInterrupted(const std::string& dir);

class Environment {
 public:
  // Opens (and creates when allowed) the environment at options.path.
  static absl::StatusOr<std::unique_ptr<Environment>> Open(
      const EnvOptions& options);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // A read-only snapshot. Never blocks the writer; holds the map steady
  // (growth waits for it), so keep it short. Returns its transaction to the
  // environment's pool on destruction.
  class ReadTxn {
   public:
    ReadTxn(ReadTxn&& other) noexcept
        : env_(other.env_), txn_(other.txn_), snapshot_(other.snapshot_) {
      other.env_ = nullptr;
      other.txn_ = nullptr;
    }
    ReadTxn(const ReadTxn&) = delete;
    ReadTxn& operator=(const ReadTxn&) = delete;
    ~ReadTxn();
    MDB_txn* get() const { return txn_; }

   private:
    friend class Environment;
    ReadTxn(Environment* env, MDB_txn* txn, bool snapshot)
        : env_(env), txn_(txn), snapshot_(snapshot) {}
    Environment* env_;
    MDB_txn* txn_;
    bool snapshot_;  // from BeginSnapshot
  };
  absl::StatusOr<ReadTxn> BeginRead();
  // A read snapshot that may live long and end on another thread (an export
  // streamed to a client): it holds no lock, and map growth waits for every
  // such snapshot to end (new reads wait meanwhile, as for BeginRead's).
  absl::StatusOr<ReadTxn> BeginSnapshot();

  // Opens (creating) a named database in `txn`, a write transaction. When
  // read-only: opens an existing one (FAILED_PRECONDITION naming it when
  // there is none) in any transaction.
  absl::StatusOr<MDB_dbi> OpenDatabase(MDB_txn* txn, const std::string& name);

  // Doubles the map, up to the limit. RESOURCE_EXHAUSTED when already there.
  // Call with no write transaction open; waits for readers to finish.
  absl::Status GrowMap();

  // An online, consistent, compacted copy into `dir` (see backup.h). Writes
  // go on meanwhile; map growth waits for the copy to finish.
  absl::StatusOr<CopyReport> Copy(const std::string& dir);

  MapInfo Info();
  const EnvOptions& options() const { return options_; }
  // Whether opening rolled data.mdb back to the checkpoint of an import
  // that stopped before its last batches were synced
  // (storage/checkpoint_file.h).
  bool rolled_back() const { return rolled_back_; }
  MDB_env* raw() const { return env_; }

 private:
  explicit Environment(const EnvOptions& options) : options_(options) {}

  EnvOptions options_;
  MDB_env* env_ = nullptr;
  // read_only without the lock file: our fcntl lock on lock.mdb, or -1.
  int lock_guard_ = -1;
  // Readers hold it shared; map growth holds it exclusively, because LMDB
  // remaps the file and pointers into the old map would dangle.
  absl::Mutex map_gate_;
  absl::Mutex snapshots_mu_;
  int snapshots_ ABSL_GUARDED_BY(snapshots_mu_) = 0;  // BeginSnapshot's, live
  absl::Mutex pool_mu_;
  std::vector<MDB_txn*> pool_ ABSL_GUARDED_BY(pool_mu_);
  uint64_t map_size_ = 0;
  bool rolled_back_ = false;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_ENVIRONMENT_H_
