#include "storage/merged_scan.h"

#include "base/status_macros.h"
#include "storage/index_key.h"

namespace lmdbapi::storage {

absl::StatusOr<MergedScan> MergedScan::Open(MDB_txn* txn,
                                            absl::Span<const Source> sources,
                                            bool backward,
                                            const std::string* after) {
  MergedScan scan(backward);
  scan.streams_.reserve(sources.size());
  for (const Source& source : sources) {
    LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, source.dbi));
    scan.streams_.push_back(Stream{std::move(cursor), source.range});
  }
  for (Stream& s : scan.streams_) {
    LMDBAPI_RETURN_IF_ERROR(backward ? scan.PositionBackward(s, after)
                                     : scan.Position(s, after));
  }
  return scan;
}

absl::Status MergedScan::Load(Stream& s, bool moved) {
  const KeyRange& r = *s.range;
  absl::string_view key = s.cursor.key();
  s.valid = moved && (backward_ ? key >= r.start : (!r.end || key < *r.end));
  if (!s.valid) return absl::OkStatus();
  if (r.index == nullptr) {
    s.pk = key;
    s.sort_key = key;
    return absl::OkStatus();
  }
  LMDBAPI_ASSIGN_OR_RETURN(s.pk,
                           PrimaryKeyOfEntry(*r.index, key, s.cursor.value()));
  s.sort_key = key.substr(r.fixed);
  // A unique index's key holds the primary key only for records that set
  // none of its fields; the sort key always ends with it.
  if (r.index->unique) {
    LMDBAPI_ASSIGN_OR_RETURN(absl::string_view fields,
                             FieldsOfEntry(*r.index, key));
    if (fields.size() == key.size()) {
      s.buffer.assign(s.sort_key.data(), s.sort_key.size());
      s.buffer.append(s.pk.data(), s.pk.size());
      s.sort_key = s.buffer;
    }
  }
  return absl::OkStatus();
}

absl::Status MergedScan::Position(Stream& s, const std::string* after) {
  const KeyRange& r = *s.range;
  std::string resume;  // past `after`, when that is past the start
  if (after != nullptr) {
    resume = r.start.substr(0, r.fixed) + *after;
    if (resume < r.start) resume = r.start;
  }
  LMDBAPI_ASSIGN_OR_RETURN(bool moved,
                           s.cursor.Seek(after != nullptr ? resume : r.start));
  LMDBAPI_RETURN_IF_ERROR(Load(s, moved));
  while (after != nullptr && s.valid && s.sort_key <= *after) {
    LMDBAPI_RETURN_IF_ERROR(Advance(s));
  }
  return absl::OkStatus();
}

absl::Status MergedScan::PositionBackward(Stream& s, const std::string* after) {
  const KeyRange& r = *s.range;
  std::optional<std::string> bound = r.end;
  if (after != nullptr) {
    std::string before = r.start.substr(0, r.fixed) + *after;
    if (!bound || before < *bound) bound = std::move(before);
  }
  bool moved = false;
  if (bound) {
    LMDBAPI_ASSIGN_OR_RETURN(moved, s.cursor.Seek(*bound));
    LMDBAPI_ASSIGN_OR_RETURN(moved, moved ? s.cursor.Prev() : s.cursor.Last());
  } else {
    LMDBAPI_ASSIGN_OR_RETURN(moved, s.cursor.Last());
  }
  LMDBAPI_RETURN_IF_ERROR(Load(s, moved));
  while (after != nullptr && s.valid && s.sort_key >= *after) {
    LMDBAPI_RETURN_IF_ERROR(Advance(s));
  }
  return absl::OkStatus();
}

absl::Status MergedScan::Advance(Stream& s) {
  LMDBAPI_ASSIGN_OR_RETURN(bool moved,
                           backward_ ? s.cursor.Prev() : s.cursor.Next());
  return Load(s, moved);
}

MergedScan::Stream* MergedScan::Best() {
  Stream* best = nullptr;
  for (Stream& s : streams_) {
    if (!s.valid) continue;
    if (best == nullptr || (backward_ ? s.sort_key > best->sort_key
                                      : s.sort_key < best->sort_key)) {
      best = &s;
    }
  }
  return best;
}

absl::StatusOr<bool> MergedScan::Next() {
  while (true) {
    if (current_ != nullptr) LMDBAPI_RETURN_IF_ERROR(Advance(*current_));
    current_ = Best();
    if (current_ == nullptr) return false;
    if (streams_.size() == 1) return true;
    // The same record from two ranges (an OR over a repeated field, or
    // overlapping branches) has the same sort key: the copies are adjacent.
    if (has_last_ && current_->sort_key == last_) continue;
    last_.assign(current_->sort_key.data(), current_->sort_key.size());
    has_last_ = true;
    return true;
  }
}

absl::StatusOr<uint64_t> CountEntries(MDB_txn* txn, MDB_dbi dbi,
                                      const KeyRange& range) {
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi));
  LMDBAPI_ASSIGN_OR_RETURN(bool more, cursor.Seek(range.start));
  uint64_t count = 0;
  while (more && (!range.end || cursor.key() < *range.end)) {
    ++count;
    LMDBAPI_ASSIGN_OR_RETURN(more, cursor.Next());
  }
  return count;
}

}  // namespace lmdbapi::storage
