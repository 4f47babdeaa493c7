// JSON numbers to field values, as protobuf 3.21's JSON parser converts them.
#include "json/parse_number.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <system_error>

#include "absl/strings/charconv.h"

namespace lmdbapi::json {
namespace {

constexpr uint64_t kTwoTo63 = uint64_t{1} << 63;

// A decimal number token as the correctly rounded double (what strtod
// gives). False beyond the range of double; an underflow is a signed zero.
bool ParseDouble(absl::string_view text, double* value) {
  const char* end = text.data() + text.size();
  double d = 0;
  absl::from_chars_result r = absl::from_chars(text.data(), end, d);
  if (r.ptr != end) return false;
  if (r.ec == std::errc::result_out_of_range) {
    if (d != 0) return false;  // overflow; an underflow is +-0
  } else if (r.ec != std::errc()) {
    return false;
  }
  *value = d;
  return true;
}

// An integral double in `range` (protobuf casts and checks the cast is
// lossless: 1e2 and 1.0 are integers, 1.5 and 2^63 are not).
bool DoubleToInteger(double d, const IntRange& range, uint64_t* bits) {
  if (!(d == std::trunc(d))) return false;  // a fraction, or NaN
  if (range.is_signed) {
    if (!(d >= static_cast<double>(range.min) &&
          d < static_cast<double>(range.max) + 1.0)) {
      return false;
    }
    *bits = static_cast<uint64_t>(static_cast<int64_t>(d));
    return true;
  }
  if (!(d >= 0 && d < static_cast<double>(range.umax) + 1.0)) return false;
  *bits = static_cast<uint64_t>(d);
  return true;
}

// -magnitude for a magnitude up to 2^63.
int64_t Negate(uint64_t magnitude) {
  return magnitude == kTwoTo63 ? INT64_MIN : -static_cast<int64_t>(magnitude);
}

// A magnitude and sign as a value of `range`.
bool SignedMagnitudeToInteger(bool negative, uint64_t magnitude,
                              const IntRange& range, uint64_t* bits) {
  if (!negative) {
    uint64_t limit =
        range.is_signed ? static_cast<uint64_t>(range.max) : range.umax;
    if (magnitude > limit) return false;
    *bits = magnitude;
    return true;
  }
  if (!range.is_signed) {
    if (magnitude != 0) return false;
    *bits = 0;
    return true;
  }
  if (magnitude > kTwoTo63 || Negate(magnitude) < range.min) return false;
  *bits = static_cast<uint64_t>(Negate(magnitude));
  return true;
}

// A double as a float field's value. Protobuf refuses an unquoted number
// that rounds to infinity, and a quoted one beyond FLT_MAX (strictly).
bool DoubleToFloat(double d, bool quoted, float* value) {
  if (std::isnan(d)) {
    *value = std::numeric_limits<float>::quiet_NaN();
    return true;
  }
  float f = static_cast<float>(d);
  if (std::isfinite(d) && (quoted ? std::fabs(d) > FLT_MAX : std::isinf(f))) {
    return false;
  }
  *value = f;
  return true;
}

// The special values protobuf takes in quotes for a double or a float.
bool SpecialDouble(absl::string_view text, double* value) {
  if (text == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
  } else if (text == "Infinity") {
    *value = std::numeric_limits<double>::infinity();
  } else if (text == "-Infinity") {
    *value = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool TokenToInteger(const NumberToken& token, const IntRange& range,
                    uint64_t* bits) {
  // An integer token protobuf reads as an int64 or a uint64.
  if (token.integral && token.fits &&
      (!token.negative || token.magnitude <= kTwoTo63)) {
    return SignedMagnitudeToInteger(token.negative, token.magnitude, range,
                                    bits);
  }
  double d;
  return ParseDouble(token.text, &d) && DoubleToInteger(d, range, bits);
}

bool QuotedToInteger(absl::string_view text, const IntRange& range,
                     uint64_t* bits) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  uint64_t magnitude = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(magnitude, 10, &magnitude) ||
        __builtin_add_overflow(magnitude, static_cast<uint64_t>(c - '0'),
                               &magnitude)) {
      return false;
    }
  }
  if (negative && !range.is_signed) return false;  // protobuf: even "-0"
  return SignedMagnitudeToInteger(negative, magnitude, range, bits);
}

bool TokenToDouble(const NumberToken& token, double* value) {
  if (token.integral && token.fits) {
    if (!token.negative) {
      *value = static_cast<double>(token.magnitude);
      return true;
    }
    if (token.magnitude <= kTwoTo63) {  // an int64: -0 is +0.0
      *value = static_cast<double>(Negate(token.magnitude));
      return true;
    }
  }
  return ParseDouble(token.text, value);
}

bool TokenToFloat(const NumberToken& token, float* value) {
  if (token.integral && token.fits) {
    if (!token.negative) {
      *value = static_cast<float>(token.magnitude);
      return true;
    }
    if (token.magnitude <= kTwoTo63) {
      *value = static_cast<float>(Negate(token.magnitude));
      return true;
    }
  }
  double d;
  return ParseDouble(token.text, &d) && DoubleToFloat(d, false, value);
}

bool QuotedToDouble(absl::string_view text, double* value) {
  if (SpecialDouble(text, value)) return true;
  NumberToken token;
  return ScanNumber(text, &token) && ParseDouble(text, value);
}

bool QuotedToFloat(absl::string_view text, float* value) {
  double d;
  if (SpecialDouble(text, &d)) {
    *value = static_cast<float>(d);
    return true;
  }
  NumberToken token;
  return ScanNumber(text, &token) && ParseDouble(text, &d) &&
         DoubleToFloat(d, true, value);
}

}  // namespace lmdbapi::json
