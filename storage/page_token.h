// Opaque, tamper-checked page tokens. A token carries the last key a page
// returned and a fingerprint of the query that produced it, sealed with a
// keyed hash (SipHash-2-4) under a secret kept in the database. A token that
// was altered, truncated, made by another database or used with another query
// is rejected with INVALID_ARGUMENT.
#ifndef LMDBAPI_STORAGE_PAGE_TOKEN_H_
#define LMDBAPI_STORAGE_PAGE_TOKEN_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

using TokenSecret = std::array<uint8_t, 16>;

// SipHash-2-4 of `data` under `key`.
uint64_t SipHash24(const TokenSecret& key, absl::string_view data);

// Returns a URL-safe token (base64url, no padding).
std::string EncodePageToken(const TokenSecret& secret, uint64_t fingerprint,
                            absl::string_view last_key);

// Returns the last key sealed in `token`, or INVALID_ARGUMENT naming
// page_token when it is not a token of this database for this query.
absl::StatusOr<std::string> DecodePageToken(const TokenSecret& secret,
                                            uint64_t fingerprint,
                                            absl::string_view token);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_PAGE_TOKEN_H_
