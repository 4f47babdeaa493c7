// The lexical level of json_parser: a cursor over JSON text (RFC 8259) that
// skips whitespace and reads literals, strings (unescaped, UTF-8 checked)
// and number tokens. It is never more lenient than JSON, and so never more
// lenient than protobuf's parser (which also takes single quotes, unquoted
// keys, unknown escapes and raw control characters; json_parser refuses
// those and the caller asks protobuf).
#ifndef LMDBAPI_JSON_JSON_SCANNER_H_
#define LMDBAPI_JSON_JSON_SCANNER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

// A number token as RFC 8259 spells it:
// -?(0|[1-9][0-9]*)(.[0-9]+)?(e[+-]?[0-9]+)?
struct NumberToken {
  absl::string_view text;
  bool negative = false;
  // No fraction and no exponent.
  bool integral = false;
  // For an integral token: whether its magnitude fits in 64 bits, and it.
  bool fits = false;
  uint64_t magnitude = 0;
};

// Whether `text` is exactly one number token (quoted numbers are read with
// this too); fills `token`.
bool ScanNumber(absl::string_view text, NumberToken* token);

// The length of the valid UTF-8 sequence starting at `p` (a byte >= 0x80),
// or 0 when it is not valid (overlong, a surrogate, above U+10FFFF, cut).
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end);

class JsonCursor {
 public:
  explicit JsonCursor(absl::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  void SkipSpace() {
    while (p_ < end_ && IsSpace(*p_)) ++p_;
  }
  // The next byte after whitespace, or '\0' at the end.
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  // Consumes `c` if it is the next byte after whitespace.
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // Consumes `word` (true, false, null) at the cursor.
  bool ConsumeLiteral(absl::string_view word);

  // Reads the string at the cursor (after whitespace). `text` is its
  // unescaped content: a view of the input when the string has no escape,
  // else of `scratch`. False on a bad escape, a lone surrogate, a raw
  // control character, invalid UTF-8 or a missing closing quote.
  bool ReadString(absl::string_view* text, std::string* scratch);
  // Reads the number token at the cursor (after whitespace).
  bool ReadNumber(NumberToken* token);

  // Where the cursor is, for error messages.
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

 private:
  static bool IsSpace(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
  bool ReadEscaped(const char* start, absl::string_view* text,
                   std::string* scratch);
  bool ReadEscape(std::string* scratch);
  bool ReadHex4(uint32_t* unit);

  const char* begin_;
  const char* p_;
  const char* end_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_SCANNER_H_
