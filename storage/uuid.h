// Time-ordered UUIDs (RFC 9562 version 7) for generated primary keys.
#ifndef LMDBAPI_STORAGE_UUID_H_
#define LMDBAPI_STORAGE_UUID_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

// Returns a new UUIDv7 in canonical lowercase text form (36 characters).
// Within a process the values strictly increase, so their text sorts in
// creation order and new records land at the right edge of the B+tree.
// Thread-safe. With a `tag`, the UUID's last byte is the tag instead of
// random: a sharded server stamps the keys it makes with its shard's
// position, so that the fan-out router asks that shard first
// (UuidTag, server --shard_tag). 66 random bits remain.
std::string NewUuidV7(std::optional<uint8_t> tag = std::nullopt);

// The last byte of a canonical UUID (what NewUuidV7's tag sets), or nullopt
// when `text` is not one. Any UUID has one: for a key that no tagged server
// made it is random, so a reader uses it only as a hint.
std::optional<uint8_t> UuidTag(absl::string_view text);

// True when `text` is a canonical UUID of any version: 8-4-4-4-12 hex digits.
bool IsCanonicalUuid(absl::string_view text);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_UUID_H_
