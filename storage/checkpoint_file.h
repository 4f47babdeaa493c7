// The commit a power cut rolls data.mdb back to while commits go unsynced
// (storage/unsynced_commits.h), kept in a file beside it.
//
// LMDB's commit writes the transaction's pages, syncs them, then writes the
// meta page that makes them the database. A commit without its sync writes
// both and leaves their order to the kernel: after a power cut the disk may
// hold the new meta page and not every page it names, which LMDB cannot
// read. While such commits go on, `data.mdb-checkpoint` holds a copy of the
// two meta pages of the last commit known to be on the disk whole (synced),
// whose pages no later commit may overwrite (a read transaction pins them).
// Opening the directory for writing with the file present writes the copy
// back over data.mdb's meta pages: the database is that commit again, and
// the unsynced commits after it are gone. Nothing acknowledged is lost: a
// write answered durable was committed with a sync, after the file was
// removed.
//
// The file also holds a ceiling on the revisions the unsynced commits may
// have reached (they were visible to readers and watchers). A rollback
// leaves it in `data.mdb-revision-floor`, and the database's next writable
// open moves its revision counter up to it (storage/database.cc), so that no
// revision a watcher saw is given to a different write.
#ifndef LMDBAPI_STORAGE_CHECKPOINT_FILE_H_
#define LMDBAPI_STORAGE_CHECKPOINT_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lmdbapi::storage {

inline constexpr char kCheckpointFile[] = "data.mdb-checkpoint";
inline constexpr char kRevisionFloorFile[] = "data.mdb-revision-floor";

struct Checkpoint {
  std::string meta_pages;  // data.mdb's first two pages, as the commit left
  uint64_t revision_ceiling = 0;
};

// Replaces `dir`'s checkpoint file with `checkpoint`, durably and at once (a
// new file synced, renamed over the old one, the directory synced).
absl::Status WriteCheckpoint(const std::string& dir,
                             const Checkpoint& checkpoint);
// Removes `dir`'s checkpoint file durably.
absl::Status RemoveCheckpoint(const std::string& dir);
bool HasCheckpoint(const std::string& dir);

// When `dir` holds a checkpoint file: writes its meta pages back into
// data.mdb (synced), leaves its revision ceiling in the revision floor file
// and removes it. Returns whether it rolled back. Only while no process has
// the environment open: Environment::Open calls it when it is alone.
absl::StatusOr<bool> RollBackToCheckpoint(const std::string& dir);

// The revision floor a rollback left (0: none), and its removal once the
// revision counter reached it.
absl::StatusOr<uint64_t> ReadRevisionFloor(const std::string& dir);
absl::Status RemoveRevisionFloor(const std::string& dir);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_CHECKPOINT_FILE_H_
