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
  MDB_dbi meta_;
  bool open_ = false;
  uint64_t revision_ = 0;
  uint32_t next_position_ = 0;
  int64_t time_micros_ = 0;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_REVISION_CLOCK_H_
