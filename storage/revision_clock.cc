#include "storage/revision_clock.h"

#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {

absl::StatusOr<RevisionClock::Tick> RevisionClock::Take(MDB_txn* txn) {
  if (!open_ || revision_ == 0) {
    LMDBAPI_ASSIGN_OR_RETURN(uint64_t next, NextRevision(txn, meta_));
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
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t first, AdvanceRevision(txn, meta_, count));
  for (size_t i = 0; i < count; ++i) ticks.push_back(Tick{first + i, 0});
  return ticks;
}

absl::StatusOr<uint64_t> RevisionClock::Current(MDB_txn* txn) const {
  return CurrentRevision(txn, meta_);
}

int64_t RevisionClock::NowMicros() const {
  return time_micros_ != 0 ? time_micros_ : absl::ToUnixMicros(absl::Now());
}

}  // namespace lmdbapi::storage
