// How the records database stores a record (docs/ARCHITECTURE.md, "Data
// format"). Format 2, the one written: a zero byte, the record's version
// (storage/record_version.h: revision, create and update micros, fixed64
// each), then the serialized record, so that one lookup gives a read both.
// Format 1, written before: the serialized record alone, its version in
// "__versions.<table>". A serialized record never begins with a zero byte
// (no field has number 0; the primary key makes it non-empty), so the first
// byte tells the formats apart: both are read, every write stores format 2
// and drops the record's format-1 version, and no migration is needed.
#ifndef LMDBAPI_STORAGE_STORED_RECORD_H_
#define LMDBAPI_STORAGE_STORED_RECORD_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {

inline constexpr size_t kStoredHeaderSize = 25;

struct StoredRecord {
  absl::string_view bytes;  // the serialized record
  // Format 2: the version stored with it; format 1: none (read it from the
  // table's versions database).
  std::optional<RecordVersion> version;
};

// DATA_LOSS when `value` begins like format 2 but is shorter than its header.
absl::StatusOr<StoredRecord> SplitStored(absl::string_view value);
// The format-2 value of `record` at `version`.
std::string JoinStored(const RecordVersion& version, absl::string_view record);
// The same value written at `out`, which holds kStoredHeaderSize +
// record.size() bytes (room LMDB reserved in a page: Cursor::Reserve).
void WriteStored(const RecordVersion& version, absl::string_view record,
                 char* out);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_STORED_RECORD_H_
