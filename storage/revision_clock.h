// The revision each write takes. Outside a commit every write (each record a
// cascade deletes included) takes the next revision of the database's
// counter. Inside a commit (RevisionClock::Commit, storage/commit.h) every
// write of the commit takes the same, new revision, and its changes are
// numbered 0, 1, 2… in the change log, so Watch sees them in write order.
//
// Used on the writer thread only (it runs every write), so it needs no lock.
#ifndef LMDBAPI_STORAGE_REVISION_CLOCK_H_
#define LMDBAPI_STORAGE_REVISION_CLOCK_H_

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace lmdbapi::storage {

class RevisionClock {
 public:
  explicit RevisionClock(MDB_dbi meta) : meta_(meta) {}

  struct Tick {
    uint64_t revision = 0;
    uint32_t position = 0;  // the change's place within its revision
  };
  // The revision (and position) of the next write in `txn`.
  absl::StatusOr<Tick> Take(MDB_txn* txn);
  // The ticks of the next `count` writes in `txn`, in order, with one
  // update of the counter.
  absl::StatusOr<std::vector<Tick>> Take(MDB_txn* txn, size_t count);
  // The revision of the last write committed (or made in `txn`).
  absl::StatusOr<uint64_t> Current(MDB_txn* txn) const;

  // The time a write records: the replicated entry's (its leader's clock,
  // so that every replica stores the same), else now.
  int64_t NowMicros() const;
  // Sets the entry's time (Writer::Replication::set_time); 0: now again.
  void set_time(int64_t micros) { time_micros_ = micros; }

  // While it lives, the writes made straight in `txn` (a writer's batch,
  // whose operations are not each in a child transaction) take their
  // revisions from a copy of the counter kept here, and Store() writes the
  // counter once, before `txn` commits, instead of a read and a write of it
  // per write (about 3,000 instructions of an Insert). Outside a batch, and
  // with `txn` null (each operation in a child transaction, any of which
  // may roll back), every write updates the stored counter as it goes.
  class Batch {
   public:
    Batch(RevisionClock* clock, MDB_txn* txn);
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // Writes the counter into the batch's transaction, if a write took a
    // revision. Before the transaction commits.
    absl::Status Store();

   private:
    RevisionClock* clock_;
  };

  // While it lives, writes share one revision. Ends with the operation that
  // made it (whose transaction commits or rolls back whole).
  class Commit {
   public:
    explicit Commit(RevisionClock* clock) : clock_(clock) {
      clock_->open_ = true;
      clock_->revision_ = 0;
      clock_->next_position_ = 0;
    }
    ~Commit() { clock_->open_ = false; }
    Commit(const Commit&) = delete;
    Commit& operator=(const Commit&) = delete;
    // The commit's revision; 0 before its first write.
    uint64_t revision() const { return clock_->revision_; }

   private:
    RevisionClock* clock_;
  };

 private:
  // The first of `count` new revisions in `txn`.
  absl::StatusOr<uint64_t> Advance(MDB_txn* txn, uint64_t count);

  MDB_dbi meta_;
  // Batch: its transaction, and once a write took a revision, the last one
  // taken (the counter as Store() will write it).
  MDB_txn* batch_txn_ = nullptr;
  bool batch_counted_ = false;
  uint64_t batch_last_ = 0;
  bool open_ = false;
  uint64_t revision_ = 0;
  uint32_t next_position_ = 0;
  int64_t time_micros_ = 0;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_REVISION_CLOCK_H_
