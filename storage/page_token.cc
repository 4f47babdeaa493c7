#include "storage/page_token.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "storage/coding.h"

namespace lmdbapi::storage {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacSize = 8;
// version + fingerprint + mac around the key.
constexpr size_t kOverhead = 1 + 8 + kMacSize;
constexpr size_t kMaxTokenSize = 1024;

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

void Round(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1;
  v1 = Rotl(v1, 13);
  v1 ^= v0;
  v0 = Rotl(v0, 32);
  v2 += v3;
  v3 = Rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = Rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = Rotl(v1, 17);
  v1 ^= v2;
  v2 = Rotl(v2, 32);
}

absl::Status BadToken(absl::string_view why) {
  return absl::InvalidArgumentError(
      std::string("page_token: ") + std::string(why) +
      "; pass the next_page_token of the previous page of the same query");
}

}  // namespace

uint64_t SipHash24(const TokenSecret& key, absl::string_view data) {
  const auto* k = reinterpret_cast<const char*>(key.data());
  const uint64_t k0 = DecodeFixed64(k), k1 = DecodeFixed64(k + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size(), full = n & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = DecodeFixed64(data.data() + i);
    v3 ^= m;
    Round(v0, v1, v2, v3);
    Round(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(n) << 56;
  for (size_t i = full; i < n; ++i) last |= uint64_t{p[i]} << (8 * (i - full));
  v3 ^= last;
  Round(v0, v1, v2, v3);
  Round(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) Round(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

std::string EncodePageToken(const TokenSecret& secret, uint64_t fingerprint,
                            absl::string_view last_key) {
  std::string raw;
  raw.reserve(kOverhead + last_key.size());
  raw.push_back(kVersion);
  PutFixed64(fingerprint, &raw);
  raw.append(last_key.data(), last_key.size());
  PutFixed64(SipHash24(secret, raw), &raw);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodePageToken(const TokenSecret& secret,
                                            uint64_t fingerprint,
                                            absl::string_view token) {
  if (token.size() > kMaxTokenSize) return BadToken("is too long");
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return BadToken("is not base64url");
  }
  if (raw.size() < kOverhead) return BadToken("is too short");
  if (raw[0] != kVersion) return BadToken("has an unknown version");
  absl::string_view sealed(raw.data(), raw.size() - kMacSize);
  if (SipHash24(secret, sealed) != DecodeFixed64(raw.data() + sealed.size())) {
    return BadToken(
        "was altered, comes from another database, or predates a rotation "
        "of the page-token secret: start from the first page");
  }
  if (DecodeFixed64(sealed.data() + 1) != fingerprint) {
    return BadToken(
        "belongs to a different query (filters must not change "
        "between pages)");
  }
  return std::string(sealed.substr(1 + 8));
}

}  // namespace lmdbapi::storage
