// libFuzzer: any string given as page_token is refused cleanly or decodes to
// what was sealed; and sealing then opening any key gives the key back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/page_token.h"

using lmdbapi::storage::DecodePageToken;
using lmdbapi::storage::EncodePageToken;
using lmdbapi::storage::TokenSecret;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TokenSecret secret{};
  for (size_t i = 0; i < secret.size(); ++i)
    secret[i] = static_cast<uint8_t>(i * 7);
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kFingerprint = 0x1234;
  auto decoded = DecodePageToken(secret, kFingerprint, input);
  if (decoded.ok()) {
    // A token that opens must be the one sealing its key.
    if (EncodePageToken(secret, kFingerprint, *decoded) != input)
      __builtin_trap();
  }
  // Keys are LMDB keys: at most 511 bytes (mdb_env_get_maxkeysize).
  if (input.size() > 511) return 0;
  std::string token = EncodePageToken(secret, kFingerprint, input);
  auto back = DecodePageToken(secret, kFingerprint, token);
  if (!back.ok() || *back != input) __builtin_trap();
  if (DecodePageToken(secret, kFingerprint + 1, token).ok()) __builtin_trap();
  return 0;
}
