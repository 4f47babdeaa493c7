// Commits of large writes (an import's batches) without waiting for the
// disk, safely: the sync of one commit runs beside the next batch's writes.
//
// LMDB has one write transaction at a time and syncs inside its commit, so
// a writer committing batch after batch waits for the disk once per batch
// (an import of 65,536-record batches: about a sixth of its time). Here the
// writer commits such a batch with MDB_NOSYNC, answers it, and goes on with
// the next while a thread of this class fdatasync()s the file. What makes
// that survive a power cut is the checkpoint (storage/checkpoint_file.h):
//
//   - before an unsynced commit, the last commit known synced is the
//     checkpoint: its meta pages are in the checkpoint file, and a read
//     transaction pins its pages (LMDB reuses no page a reader may see), so
//     no unsynced commit overwrites them;
//   - after the commit, a new pin is taken on it and its sync started; once
//     synced, it becomes the checkpoint before the next unsynced commit and
//     the older pin is released;
//   - Finish() waits for the last sync and removes the file: everything
//     committed is then on the disk as LMDB's own commits leave it, and the
//     writer commits with LMDB's sync again.
//
// A power cut (or a kill) while the file exists rolls data.mdb back to the
// checkpoint at the next open: the unsynced batches are undone whole, and
// they had not been acknowledged durable (an import answers only after
// Finish, through Writer::Sync). At most two commits are pinned at a time,
// so the file grows by at most two batches' pages.
//
// The writer thread calls every method (storage/writer.cc).
#ifndef LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_
#define LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_

#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/environment.h"
#include "storage/lmdb.h"

namespace lmdbapi::storage {

class UnsyncedCommits {
 public:
  explicit UnsyncedCommits(Environment* env);
  ~UnsyncedCommits();  // Finish()es (its status is logged by nobody: call it)
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;

  // Before committing the writer's open transaction without a sync:
  // `revision_ceiling` is the revision the data reaches with it. Makes the
  // last synced commit the checkpoint (waiting for the sync started by
  // AfterCommit) and turns LMDB's sync off. Not OK: do not commit.
  absl::Status BeforeCommit(uint64_t revision_ceiling);
  // After that commit succeeded: pins it and starts its sync. Not OK:
  // Finish() at once (the commit is then made durable the usual way).
  absl::Status AfterCommit();
  // Waits for the last sync, removes the checkpoint file, releases the pins
  // and turns LMDB's sync back on. Not OK (the disk failed a sync): the
  // file stays, so a restart rolls back to what is known synced; call again
  // before any commit that must be durable.
  absl::Status Finish();
  bool active() const { return active_; }

 private:
  void RunSyncs();
  absl::Status WaitForSyncs();
  absl::StatusOr<std::string> ReadMetaPages() const;

  Environment* const env_;
  const std::string dir_;
  int fd_ = -1;  // data.mdb, LMDB's
  size_t page_size_ = 0;
  bool active_ = false;
  // The commit the checkpoint file names, and the last unsynced commit
  // (none after a failed commit): each pinned, with its meta pages.
  Txn checkpoint_pin_;
  std::string checkpoint_meta_pages_;
  Txn last_pin_;
  std::string last_meta_pages_;
  absl::Mutex mu_;
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;  // syncs asked for
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;     // syncs done
  absl::Status sync_status_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_
