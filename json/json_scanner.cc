// JsonCursor: JSON whitespace, literals, strings and number tokens.
#include "json/json_scanner.h"

#include <cstring>

#include "absl/base/internal/endian.h"

namespace lmdbapi::json {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Whether any of the 8 bytes of `x` is zero.
inline uint64_t HasZeroByte(uint64_t x) { return (x - kOnes) & ~x & kHighs; }

// The bytes of `x` that end the plain run of a string: a quote, a
// backslash, a control character or a non-ASCII byte. Each test flags such
// a byte's high bit; a borrow may flag bytes above it too, so only the
// lowest flag is exact, and only it is used.
inline uint64_t SpecialBytes(uint64_t x) {
  uint64_t control = (x - 0x20 * kOnes) & ~x & kHighs;
  return control | HasZeroByte(x ^ ('"' * kOnes)) |
         HasZeroByte(x ^ ('\\' * kOnes)) | (x & kHighs);
}

inline bool InRange(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the digits of a number token's integer part into `token`.
const char* ScanIntegerPart(const char* p, const char* end,
                            NumberToken* token) {
  if (p == end || *p < '0' || *p > '9') return nullptr;
  if (*p == '0') {
    token->fits = true;
    token->magnitude = 0;
    return p + 1;
  }
  uint64_t v = 0;
  bool fits = true;
  for (; p < end && *p >= '0' && *p <= '9'; ++p) {
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (fits && (__builtin_mul_overflow(v, 10, &v) ||
                 __builtin_add_overflow(v, digit, &v))) {
      fits = false;
    }
  }
  token->fits = fits;
  token->magnitude = fits ? v : 0;
  return p;
}

// Reads one or more digits; nullptr when there is none.
const char* ScanDigits(const char* p, const char* end) {
  if (p == end || *p < '0' || *p > '9') return nullptr;
  while (p < end && *p >= '0' && *p <= '9') ++p;
  return p;
}

// Reads a number token at the start of [p, end); returns its end.
const char* ScanNumberAt(const char* p, const char* end, NumberToken* token) {
  const char* start = p;
  token->negative = p < end && *p == '-';
  if (token->negative) ++p;
  p = ScanIntegerPart(p, end, token);
  if (p == nullptr) return nullptr;
  token->integral = true;
  if (p < end && *p == '.') {
    token->integral = false;
    p = ScanDigits(p + 1, end);
    if (p == nullptr) return nullptr;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    token->integral = false;
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    p = ScanDigits(p, end);
    if (p == nullptr) return nullptr;
  }
  token->text = absl::string_view(start, static_cast<size_t>(p - start));
  return p;
}

}  // namespace

bool ScanNumber(absl::string_view text, NumberToken* token) {
  const char* end = text.data() + text.size();
  return ScanNumberAt(text.data(), end, token) == end;
}

size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (InRange(c, 0xC2, 0xDF)) {
    n = 2;
  } else if (InRange(c, 0xE0, 0xEF)) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (InRange(c, 0xF0, 0xF4)) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n || !InRange(p[1], lo, hi)) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (!InRange(p[i], 0x80, 0xBF)) return 0;
  }
  return n;
}

bool JsonCursor::ConsumeLiteral(absl::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() ||
      std::memcmp(p_, word.data(), word.size()) != 0) {
    return false;
  }
  p_ += word.size();
  return true;
}

bool JsonCursor::ReadString(absl::string_view* text, std::string* scratch) {
  SkipSpace();
  if (p_ == end_ || *p_ != '"') return false;
  const char* start = ++p_;
  const char* p = start;
  for (;;) {
    while (end_ - p >= 8) {
      // Little-endian: byte i is bits 8i to 8i+7, the lowest flag first.
      uint64_t special = SpecialBytes(absl::little_endian::Load64(p));
      if (special != 0) {
        p += __builtin_ctzll(special) >> 3;
        break;
      }
      p += 8;
    }
    if (p == end_) return false;
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') {
      *text = absl::string_view(start, static_cast<size_t>(p - start));
      p_ = p + 1;
      return true;
    }
    if (c == '\\') {
      p_ = p;
      return ReadEscaped(start, text, scratch);
    }
    if (c < 0x20) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                  reinterpret_cast<const unsigned char*>(end_));
    if (n == 0) return false;
    p += n;
  }
}

// The rest of a string from its first escape (at p_), decoded into
// `scratch` after the plain bytes from `start`.
bool JsonCursor::ReadEscaped(const char* start, absl::string_view* text,
                             std::string* scratch) {
  scratch->assign(start, static_cast<size_t>(p_ - start));
  while (p_ < end_) {
    unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      *text = *scratch;
      return true;
    }
    if (c == '\\') {
      if (!ReadEscape(scratch)) return false;
      continue;
    }
    if (c < 0x20) return false;
    size_t n = 1;
    if (c >= 0x80) {
      n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                             reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return false;
    }
    scratch->append(p_, n);
    p_ += n;
  }
  return false;
}

// One escape at p_ (its backslash), appended to `scratch` as UTF-8.
bool JsonCursor::ReadEscape(std::string* scratch) {
  if (end_ - p_ < 2) return false;
  char c = p_[1];
  p_ += 2;
  switch (c) {
    case '"':
    case '\\':
    case '/':
      scratch->push_back(c);
      return true;
    case 'b':
      scratch->push_back('\b');
      return true;
    case 'f':
      scratch->push_back('\f');
      return true;
    case 'n':
      scratch->push_back('\n');
      return true;
    case 'r':
      scratch->push_back('\r');
      return true;
    case 't':
      scratch->push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return false;  // protobuf drops the backslash of others; JSON refuses
  }
  uint32_t unit;
  if (!ReadHex4(&unit)) return false;
  if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a lone low half
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    uint32_t low;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
    p_ += 2;
    if (!ReadHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(unit, scratch);
  return true;
}

bool JsonCursor::ReadHex4(uint32_t* unit) {
  if (end_ - p_ < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    int h = HexValue(p_[i]);
    if (h < 0) return false;
    v = v << 4 | static_cast<uint32_t>(h);
  }
  p_ += 4;
  *unit = v;
  return true;
}

bool JsonCursor::ReadNumber(NumberToken* token) {
  SkipSpace();
  const char* end = ScanNumberAt(p_, end_, token);
  if (end == nullptr) return false;
  p_ = end;
  return true;
}

}  // namespace lmdbapi::json
