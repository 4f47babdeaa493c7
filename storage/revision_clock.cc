#include "storage/revision_clock.h"

#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {

absl::StatusOr<RevisionClock::Tick> RevisionClock::Take(MDB_txn* txn) {
  if (!open_ || revision_ == 0) {
    LMDBAPI_ASSIGN_OR_RETURN(uint64_t next, Advance(txn, 1));
    if (!open_) return Tick{next, 0};
    revision_ = next;
  }
  return Tick{revision_, next_position_++};
}

absl::StatusOr<std::vector<RevisionClock::Tick>> RevisionClock::Take(
    MDB_txn* txn, size_t count) {
  std::vector<Tick> ticks;
  ticks.reserve(count);
  if (open_) {  // a commit: one revision, positions in order
    for (size_t i = 0; i < count; ++i) {
      LMDBAPI_ASSIGN_OR_RETURN(Tick tick, Take(txn));
      ticks.push_back(tick);
    }
    return ticks;
  }
  if (count == 0) return ticks;
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t first, Advance(txn, count));
  for (size_t i = 0; i < count; ++i) ticks.push_back(Tick{first + i, 0});
  return ticks;
}

absl::StatusOr<uint64_t> RevisionClock::Current(MDB_txn* txn) const {
  if (txn == batch_txn_ && batch_counted_) return batch_last_;
  return CurrentRevision(txn, meta_);
}

absl::StatusOr<uint64_t> RevisionClock::Advance(MDB_txn* txn, uint64_t count) {
  if (txn == nullptr || txn != batch_txn_) {
    return AdvanceRevision(txn, meta_, count);
  }
  if (!batch_counted_) {
    LMDBAPI_ASSIGN_OR_RETURN(batch_last_, CurrentRevision(txn, meta_));
    batch_counted_ = true;
  }
  uint64_t first = batch_last_ + 1;
  batch_last_ += count;
  return first;
}

RevisionClock::Batch::Batch(RevisionClock* clock, MDB_txn* txn)
    : clock_(clock) {
  if (clock_ == nullptr) return;
  clock_->batch_txn_ = txn;
  clock_->batch_counted_ = false;
}

RevisionClock::Batch::~Batch() {
  if (clock_ == nullptr) return;
  clock_->batch_txn_ = nullptr;
  clock_->batch_counted_ = false;
}

absl::Status RevisionClock::Batch::Store() {
  if (clock_ == nullptr || !clock_->batch_counted_) return absl::OkStatus();
  return SetRevision(clock_->batch_txn_, clock_->meta_, clock_->batch_last_);
}

int64_t RevisionClock::NowMicros() const {
  return time_micros_ != 0 ? time_micros_ : absl::ToUnixMicros(absl::Now());
}

}  // namespace lmdbapi::storage
