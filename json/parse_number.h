// The number conversions of protobuf 3.21's JSON parser (util/internal's
// JsonStreamParser and DataPiece), as json_parser needs them: each function
// gives the value protobuf gives, or refuses (returns false) input protobuf
// refuses and some it accepts (json_parser then leaves it to protobuf).
//
// What protobuf does, found empirically (tests/json/json_parser_test.cc):
//  - An unquoted integer token becomes an int64 or uint64 when it fits and a
//    double otherwise; a token with a fraction or an exponent a double. An
//    integer field takes a double only when it is integral and in range
//    (1e2 and 1.0 are 100 and 1); a float field takes an integer token by a
//    direct cast (one rounding, not two through double).
//  - A quoted integer is [+-]?[0-9]+ (leading zeros allowed; no '-' for an
//    unsigned field, not even -0). A quoted double or float is read by
//    strtod ("-0" is -0.0, not 0), or is "NaN", "Infinity", "-Infinity".
//  - A double out of range is refused. A float is refused when, unquoted,
//    it rounds to infinity (3.4028235e38, FLT_MAX printed, is fine) and
//    when, quoted, it is beyond FLT_MAX ("3.4028235e38" is refused).
#ifndef LMDBAPI_JSON_PARSE_NUMBER_H_
#define LMDBAPI_JSON_PARSE_NUMBER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "json/json_scanner.h"

namespace lmdbapi::json {

// The range of an integer field: signed fields take [min, max] of int64,
// unsigned ones [0, umax].
struct IntRange {
  bool is_signed;
  int64_t min;
  int64_t max;
  uint64_t umax;
};

inline constexpr IntRange kInt32Range{true, INT32_MIN, INT32_MAX, 0};
inline constexpr IntRange kInt64Range{true, INT64_MIN, INT64_MAX, 0};
inline constexpr IntRange kUInt32Range{false, 0, 0, UINT32_MAX};
inline constexpr IntRange kUInt64Range{false, 0, 0, UINT64_MAX};

// An integer field's value from an unquoted number token, as the 64 bits
// protobuf writes (a signed value in two's complement).
bool TokenToInteger(const NumberToken& token, const IntRange& range,
                    uint64_t* bits);
// An integer field's value from a quoted number.
bool QuotedToInteger(absl::string_view text, const IntRange& range,
                     uint64_t* bits);

bool TokenToDouble(const NumberToken& token, double* value);
bool TokenToFloat(const NumberToken& token, float* value);
bool QuotedToDouble(absl::string_view text, double* value);
bool QuotedToFloat(absl::string_view text, float* value);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_PARSE_NUMBER_H_
