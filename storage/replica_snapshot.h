// A snapshot from another replica of a replicated shard
// (docs/REPLICATION.md): a compacted copy of its data directory, streamed by
// its Admin/Snapshot into a directory of this replica's, then installed in
// place of this replica's data, in one write transaction of its writer.
// How a replica catches up when it is behind what the leader's log still
// holds (a new replica, one whose data was lost, one down for long).
//
//   LMDBAPI_ASSIGN_OR_RETURN(auto snapshot, ReplicaSnapshot::Open(dir));
//   LMDBAPI_RETURN_IF_ERROR(snapshot->InstallInto(db.writer()));
#ifndef LMDBAPI_STORAGE_REPLICA_SNAPSHOT_H_
#define LMDBAPI_STORAGE_REPLICA_SNAPSHOT_H_

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/read_only_env.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

class ReplicaSnapshot {
 public:
  // Opens the copy in `dir` (its data.mdb) read-only.
  static absl::StatusOr<std::unique_ptr<ReplicaSnapshot>> Open(
      const std::string& dir);

  // The index of the last log entry the copy holds (Writer::kAppliedKey).
  uint64_t applied() const { return applied_; }

  // Replaces the data of `writer`'s environment with the copy's, in one
  // transaction on its thread (Writer::InstallSnapshot): the log entries up
  // to applied() are then skipped.
  absl::Status InstallInto(Writer& writer) const;

  // In the write transaction `txn`: each database of the copy replaces the
  // one of the same name (created when missing); those the copy lacks are
  // emptied.
  absl::Status CopyInto(MDB_txn* txn) const;

 private:
  ReplicaSnapshot() = default;
  ReadOnlyEnv env_;
  uint64_t applied_ = 0;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_REPLICA_SNAPSHOT_H_
