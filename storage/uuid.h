// Time-ordered UUIDs (RFC 9562 version 7) for generated primary keys.
#ifndef LMDBAPI_STORAGE_UUID_H_
#define LMDBAPI_STORAGE_UUID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

// Returns a new UUIDv7 in canonical lowercase text form (36 characters).
// Within a process the values strictly increase, so their text sorts in
// creation order and new records land at the right edge of the B+tree.
// Thread-safe.
std::string NewUuidV7();

// True when `text` is a canonical UUID of any version: 8-4-4-4-12 hex digits.
bool IsCanonicalUuid(absl::string_view text);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_UUID_H_
