// Base64 encoding into the end of a string, three bytes to four characters.
#include "json/base64.h"

#include <cstdint>

namespace lmdbapi::json {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void AppendBase64(absl::string_view bytes, std::string* out) {
  const size_t start = out->size();
  out->resize(start + (bytes.size() + 2) / 3 * 4);
  char* dst = &(*out)[start];
  auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t left = bytes.size();
  for (; left >= 3; left -= 3, src += 3) {
    uint32_t group = (src[0] << 16) | (src[1] << 8) | src[2];
    *dst++ = kAlphabet[group >> 18];
    *dst++ = kAlphabet[(group >> 12) & 0x3f];
    *dst++ = kAlphabet[(group >> 6) & 0x3f];
    *dst++ = kAlphabet[group & 0x3f];
  }
  if (left == 0) return;
  uint32_t group = src[0] << 16;
  if (left == 2) group |= src[1] << 8;
  *dst++ = kAlphabet[group >> 18];
  *dst++ = kAlphabet[(group >> 12) & 0x3f];
  *dst++ = left == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=';
  *dst = '=';
}

}  // namespace lmdbapi::json
