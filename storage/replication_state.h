// A data directory's place in a replicated shard's log: the index of the
// last log entry its LMDB applied (Writer::kAppliedKey, in the meta
// database), which a replica skips to when its log is replayed.
#ifndef LMDBAPI_STORAGE_REPLICATION_STATE_H_
#define LMDBAPI_STORAGE_REPLICATION_STATE_H_

#include <string>

#include "absl/status/status.h"

namespace lmdbapi::storage {

// Forgets it, in the (closed) data directory `dir`: the data becomes the
// starting point of a new log, as when a whole shard is restored from a
// backup (server --restore_from; docs/REPLICATION.md). A directory that
// never replicated is left as it is.
absl::Status ForgetReplicationLog(const std::string& dir);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_REPLICATION_STATE_H_
