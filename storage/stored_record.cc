#include "storage/stored_record.h"

#include <cstring>

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
  std::string out(kStoredHeaderSize + record.size(), '\0');
  WriteStored(version, record, out.data());
  return out;
}

void WriteStored(const RecordVersion& version, absl::string_view record,
                 char* out) {
  const uint64_t header[3] = {version.revision,
                              static_cast<uint64_t>(version.create_micros),
                              static_cast<uint64_t>(version.update_micros)};
  out[0] = '\0';
  for (int i = 0; i < 3; ++i) {
    for (int b = 0; b < 8; ++b) {
      out[1 + 8 * i + b] = static_cast<char>(header[i] >> (8 * b));
    }
  }
  std::memcpy(out + kStoredHeaderSize, record.data(), record.size());
}

}  // namespace lmdbapi::storage
