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
//   - the checkpoint file names a commit known synced, and a read
//     transaction pins its pages (LMDB reuses no page a reader may see), so
//     no unsynced commit overwrites them;
//   - after each unsynced commit, a new pin is taken on it and the sync
//     thread syncs the data file, then makes that commit the checkpoint
//     (the file written and synced, on the sync thread, while the writer
//     applies the next batch); the writer then releases the older pins;
//   - before an unsynced commit, the writer waits only while two commits
//     after the checkpoint are still unsynced (so at most three commits are
//     pinned, and the file grows by at most three batches' pages; Options
//     set another bound, and a least time between syncs);
//   - Finish() waits for the last sync and removes the file: everything
//     committed is then on the disk as LMDB's own commits leave it, and the
//     writer commits with LMDB's sync again.
//
// The file also holds a revision ceiling: no commit made while it stands
// reaches a revision above it (the writer raises it, synchronously, before
// a commit that would). The sync thread writes it kCeilingHeadroom above
// the revisions reached, so that the writer seldom has to.
//
// A power cut (or a kill) while the file exists rolls data.mdb back to the
// checkpoint at the next open: the unsynced batches are undone whole, and
// they had not been acknowledged durable (an import answers only after
// Finish, through Writer::Sync); the revision counter moves up to the
// ceiling, so no revision a watcher saw is given to another write (up to
// kCeilingHeadroom revisions are skipped).
//
// A replica commits every log entry this way, with Options of its own (no
// ceiling, a sync every 100 ms, up to 256 commits unsynced): its Raft log
// holds the entries durably and applies those a rollback undid again
// (storage/writer_replicated.cc, docs/REPLICATION.md "Durability").
//
// The writer thread calls every method (storage/writer.cc).
#ifndef LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_
#define LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_

#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/environment.h"
#include "storage/lmdb.h"

namespace lmdbapi::storage {

class UnsyncedCommits {
 public:
  struct Options {
    // Commits after the checkpoint that may be unsynced before the next
    // waits for a sync: the file grows by at most one more than this many
    // commits' pages.
    size_t max_unsynced = 2;
    // Whether the file holds a revision ceiling. A replica's unsynced
    // commits need none: after a rollback its log replays the same writes
    // at the same revisions (storage/writer_replicated.cc).
    bool revision_ceiling = true;
    // The least time from one sync's start to the next's, so that each
    // covers the commits of that time (0: each starts once the last ended).
    // Finish does not wait for it.
    absl::Duration sync_interval = absl::ZeroDuration();
  };
  explicit UnsyncedCommits(Environment* env) : UnsyncedCommits(env, {}) {}
  UnsyncedCommits(Environment* env, Options options);
  ~UnsyncedCommits();  // Finish()es (its status is logged by nobody: call it)
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;

  // Before committing the writer's open transaction without a sync:
  // `revision_ceiling` is the revision the data reaches with it. The first
  // makes the last (synced) commit the checkpoint; each waits while two
  // commits after the checkpoint are unsynced, raises the file's ceiling
  // when the commit would pass it, releases the pins older than the
  // checkpoint, and turns LMDB's sync off. Not OK: do not commit.
  absl::Status BeforeCommit(uint64_t revision_ceiling);
  // After that commit succeeded: pins it and asks the sync thread to sync
  // it and make it the checkpoint. Not OK: Finish() at once (the commit is
  // then made durable the usual way).
  absl::Status AfterCommit();
  // Waits for the last sync, removes the checkpoint file, releases the pins
  // and turns LMDB's sync back on. Not OK (the disk failed a sync): the
  // file stays, so a restart rolls back to what is known synced; call again
  // before any commit that must be durable.
  absl::Status Finish();
  bool active() const { return active_; }

  // How far above the revisions reached the sync thread writes the
  // ceiling: at most this many revisions are skipped after a rollback.
  static constexpr uint64_t kCeilingHeadroom = uint64_t{1} << 20;

 private:
  // An unsynced commit (or, first, the synced one before them), pinned
  // until a later one is the checkpoint.
  struct Pinned {
    uint64_t id = 0;
    Txn pin;
    std::string meta_pages;
  };

  // The first BeforeCommit: pins the last (synced) commit and writes the
  // checkpoint file naming it.
  absl::Status Start(uint64_t revision_ceiling);
  // Waits while max_unsynced commits after the checkpoint are unsynced
  // (a sync the writer waits for does not wait out sync_interval), raises the
  // file's ceiling to cover `revision_ceiling` when it does not, and
  // returns the commit the checkpoint names.
  absl::StatusOr<uint64_t> WaitForRoom(uint64_t revision_ceiling);
  void RunSyncs();
  // Syncs the data file, then makes commit `id` (`meta_pages`) the
  // checkpoint; on the sync thread.
  void SyncAndCheckpoint(uint64_t id, const std::string& meta_pages);
  // Writes the checkpoint file naming commit `id` with `ceiling`, and
  // records it. Holding file_mu_.
  absl::Status WriteFile(uint64_t id, const std::string& meta_pages,
                         uint64_t ceiling)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(file_mu_);
  absl::Status WaitForSyncs();
  absl::StatusOr<std::string> ReadMetaPages() const;

  Environment* const env_;
  const Options options_;
  const std::string dir_;
  int fd_ = -1;  // data.mdb, LMDB's
  size_t page_size_ = 0;
  bool active_ = false;
  uint64_t next_id_ = 1;       // of the next unsynced commit
  std::deque<Pinned> pinned_;  // oldest first; the writer's
  absl::Mutex file_mu_;        // one writer of the file at a time
  absl::Mutex mu_ ABSL_ACQUIRED_AFTER(file_mu_);
  uint64_t requested_ ABSL_GUARDED_BY(mu_) = 0;  // the last commit to sync
  std::string requested_meta_pages_ ABSL_GUARDED_BY(mu_);
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;   // the last commit synced
  uint64_t reached_ ABSL_GUARDED_BY(mu_) = 0;  // the revision commits reach
  // What the checkpoint file holds: the commit it names, that commit's
  // meta pages, and its ceiling.
  uint64_t file_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::string file_meta_pages_ ABSL_GUARDED_BY(mu_);
  uint64_t file_ceiling_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status sync_status_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // The writer waits for a sync (Finish, or no room): no interval then.
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_UNSYNCED_COMMITS_H_
