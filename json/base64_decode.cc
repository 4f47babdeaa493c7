// Base64 decoding with the rules of protobuf 3.21's JSON parser.
#include "json/base64_decode.h"

#include <array>
#include <cstdint>

namespace lmdbapi::json {
namespace {

constexpr uint8_t kInvalid = 0xFF;

// The value of each character of either alphabet; '+' '/' are standard's,
// '-' '_' URL-safe's.
constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int i = 0; i < 26; ++i) {
    table['A' + i] = static_cast<uint8_t>(i);
    table['a' + i] = static_cast<uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) table['0' + i] = static_cast<uint8_t>(52 + i);
  table['+'] = table['-'] = 62;
  table['/'] = table['_'] = 63;
  return table;
}
constexpr std::array<uint8_t, 256> kTable = MakeTable();

size_t PaddingOf(absl::string_view text) {
  size_t pads = 0;
  while (pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
  return pads;
}

}  // namespace

bool Base64DecodedSize(absl::string_view text, size_t* size) {
  size_t pads = PaddingOf(text);
  size_t n = text.size() - pads;
  size_t tail = n % 4;
  if (tail == 1) return false;
  if (pads != 0 && (pads > 2 || tail == 0 || (tail + pads) != 4)) {
    return false;
  }
  *size = n / 4 * 3 + (tail == 0 ? 0 : tail - 1);
  return true;
}

bool Base64Decode(absl::string_view text, char* out) {
  size_t n = text.size() - PaddingOf(text);
  bool standard = false, url_safe = false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    uint8_t v = kTable[c];
    if (v == kInvalid) return false;
    standard |= c == '+' || c == '/';
    url_safe |= c == '-' || c == '_';
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<char>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  // Stray bits: what is left over must be zero.
  return !(standard && url_safe) && acc == 0;
}

}  // namespace lmdbapi::json
