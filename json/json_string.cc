// JSON string escaping as protobuf's printer does it, with the UTF-8 check
// protobuf's parser makes of proto3 strings, in one pass.
#include "json/json_string.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace lmdbapi::json {
namespace {

// Bytes copied as they are: printable ASCII but '"', '\\', '<' and '>'
// (protobuf escapes the last two for HTML's sake). Bytes from 0x80 start a
// multi-byte code point, decoded and checked.
constexpr std::array<bool, 256> MakePlainBytes() {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[c] = true;
  plain['"'] = plain['\\'] = plain['<'] = plain['>'] = false;
  return plain;
}
constexpr std::array<bool, 256> kPlainBytes = MakePlainBytes();

constexpr char kHex[] = "0123456789abcdef";

// Whether the 8 bytes at `p` are all plain (kPlainBytes), tested at once.
bool PlainWord(const unsigned char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  uint64_t word;
  std::memcpy(&word, p, 8);
  auto has_byte = [word](unsigned char c) {
    const uint64_t diff = word ^ (kOnes * c);
    return (diff - kOnes) & ~diff & kHighs;
  };
  const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
  return ((word & kHighs) | below_space | has_byte('"') | has_byte('\\') |
          has_byte('<') | has_byte('>') | has_byte(0x7f)) == 0;
}

void AppendUnicodeEscape(uint32_t unit, std::string* out) {
  const char escape[6] = {'\\',
                          'u',
                          kHex[(unit >> 12) & 0xf],
                          kHex[(unit >> 8) & 0xf],
                          kHex[(unit >> 4) & 0xf],
                          kHex[unit & 0xf]};
  out->append(escape, 6);
}

void AppendAsciiEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\r':
      out->append("\\r");
      return;
    default:  // Other controls, DEL, '<' and '>'.
      AppendUnicodeEscape(c, out);
  }
}

// The code point of the sequence at `p` (lead byte >= 0x80) and its length,
// or 0 when it is not well-formed (Unicode's table 3-7).
int DecodeUtf8(const unsigned char* p, const unsigned char* end,
               uint32_t* code_point) {
  const unsigned lead = p[0];
  const size_t left = end - p;
  if (lead < 0xc2 || lead > 0xf4) return 0;
  if (lead < 0xe0) {
    if (left < 2 || (p[1] & 0xc0) != 0x80) return 0;
    *code_point = ((lead & 0x1f) << 6) | (p[1] & 0x3f);
    return 2;
  }
  // The second byte's range excludes overlong forms, surrogates and code
  // points past U+10FFFF.
  unsigned low = 0x80, high = 0xbf;
  if (lead == 0xe0) low = 0xa0;
  if (lead == 0xed) high = 0x9f;
  if (lead == 0xf0) low = 0x90;
  if (lead == 0xf4) high = 0x8f;
  const int length = lead < 0xf0 ? 3 : 4;
  if (left < static_cast<size_t>(length) || p[1] < low || p[1] > high) return 0;
  uint32_t value = lead & (length == 3 ? 0x0f : 0x07);
  for (int i = 1; i < length; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    value = (value << 6) | (p[i] & 0x3f);
  }
  *code_point = value;
  return length;
}

// Code points from U+0080 protobuf escapes: C1 controls, and invisible or
// formatting ones JavaScript mishandles.
bool NeedsEscape(uint32_t cp) {
  if (cp < 0xa0) return true;
  if (cp < 0x10000) {
    return cp == 0xad || (cp >= 0x600 && cp <= 0x603) || cp == 0x6dd ||
           cp == 0x70f || cp == 0x17b4 || cp == 0x17b5 ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f) ||
           cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
  }
  return cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) ||
         (cp >= 0xe0020 && cp <= 0xe007f);
}

void AppendCodePointEscape(uint32_t cp, std::string* out) {
  if (cp < 0x10000) {
    AppendUnicodeEscape(cp, out);
    return;
  }
  cp -= 0x10000;  // A surrogate pair.
  AppendUnicodeEscape(0xd800 + (cp >> 10), out);
  AppendUnicodeEscape(0xdc00 + (cp & 0x3ff), out);
}

}  // namespace

bool AppendJsonString(absl::string_view text, std::string* out) {
  auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  const auto* run = p;  // Start of bytes not yet appended.
  out->push_back('"');
  while (p != end) {
    while (end - p >= 8 && PlainWord(p)) p += 8;
    if (p == end) break;
    if (kPlainBytes[*p]) {
      ++p;
      continue;
    }
    uint32_t cp = *p;
    int length = 1;
    if (cp >= 0x80) {
      length = DecodeUtf8(p, end, &cp);
      if (length == 0) return false;
      if (!NeedsEscape(cp)) {  // Most code points: copied with the run.
        p += length;
        continue;
      }
    }
    out->append(reinterpret_cast<const char*>(run), p - run);
    if (cp < 0x80) {
      AppendAsciiEscape(static_cast<unsigned char>(cp), out);
    } else {
      AppendCodePointEscape(cp, out);
    }
    p += length;
    run = p;
  }
  out->append(reinterpret_cast<const char*>(run), p - run);
  out->push_back('"');
  return true;
}

bool IsValidUtf8(absl::string_view text) {
  auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p != end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    uint32_t cp;
    int length = DecodeUtf8(p, end, &cp);
    if (length == 0) return false;
    p += length;
  }
  return true;
}

}  // namespace lmdbapi::json
