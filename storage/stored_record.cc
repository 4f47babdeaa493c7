#include "storage/stored_record.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/coding.h"

namespace lmdbapi::storage {

absl::StatusOr<StoredRecord> SplitStored(absl::string_view value) {
  if (value.empty() || value[0] != '\0') return StoredRecord{value, {}};
  if (value.size() < kStoredHeaderSize) {
    return absl::DataLossError(
        absl::StrCat("a stored record of ", value.size(),
                     " bytes is shorter than its version header"));
  }
  RecordVersion v;
  v.revision = DecodeFixed64(value.data() + 1);
  v.create_micros = static_cast<int64_t>(DecodeFixed64(value.data() + 9));
  v.update_micros = static_cast<int64_t>(DecodeFixed64(value.data() + 17));
  return StoredRecord{value.substr(kStoredHeaderSize), v};
}

std::string JoinStored(const RecordVersion& version, absl::string_view record) {
  std::string out;
  out.reserve(kStoredHeaderSize + record.size());
  out.push_back('\0');
  PutFixed64(version.revision, &out);
  PutFixed64(static_cast<uint64_t>(version.create_micros), &out);
  PutFixed64(static_cast<uint64_t>(version.update_micros), &out);
  out.append(record.data(), record.size());
  return out;
}

}  // namespace lmdbapi::storage
