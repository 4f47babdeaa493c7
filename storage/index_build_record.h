// An online index build's record in __lmdbapi_meta (the layout is in
// storage/index_builder.h): what storage/index_builder.cc and
// storage/index_builder_chunk.cc share.
#ifndef LMDBAPI_STORAGE_INDEX_BUILD_RECORD_H_
#define LMDBAPI_STORAGE_INDEX_BUILD_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

struct BuildRecord {
  bool failed = false;
  uint64_t built = 0;
  uint64_t total = 0;
  std::optional<std::string> cursor;  // none: before the first record
  std::string error;
};

// The meta key of index `index` of `table`'s build record.
std::string BuildKey(absl::string_view table, absl::string_view index);
std::string Encode(const BuildRecord& r);
// DATA_LOSS naming `key` when `bytes` is not a build record.
absl::StatusOr<BuildRecord> Decode(absl::string_view key,
                                   absl::string_view bytes);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_BUILD_RECORD_H_
