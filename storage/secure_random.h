// Bytes from the kernel's cryptographic random generator (getrandom(2)): for
// secrets, such as the key that signs page tokens.
#ifndef LMDBAPI_STORAGE_SECURE_RANDOM_H_
#define LMDBAPI_STORAGE_SECURE_RANDOM_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace lmdbapi::storage {

// Fills `out` entirely; blocks only until the kernel's pool is initialized
// (at boot). INTERNAL when the kernel refuses.
absl::Status SecureRandom(absl::Span<uint8_t> out);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_SECURE_RANDOM_H_
