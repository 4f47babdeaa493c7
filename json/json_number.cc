// Number formatting of json/'s printer, digit for digit protobuf's
// (SimpleDtoa / SimpleFtoa behind its JSON printer), with std::to_chars in
// place of snprintf.
#include "json/json_number.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <system_error>

#include "absl/strings/numbers.h"

namespace lmdbapi::json {
namespace {

constexpr int kBufferSize = 40;  // "-1.2345678901234567e-308" and more.

bool AppendNonFinite(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    return false;
  }
  return true;
}

// %.<precision>g of `value`, as printf writes it.
template <typename T>
char* FormatG(T value, int precision, char* buffer) {
  return std::to_chars(buffer, buffer + kBufferSize, value,
                       std::chars_format::general, precision)
      .ptr;
}

}  // namespace

void AppendInt32(int32_t value, std::string* out) {
  char buffer[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(value, buffer);
  out->append(buffer, end - buffer);
}

void AppendUint32(uint32_t value, std::string* out) {
  char buffer[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(value, buffer);
  out->append(buffer, end - buffer);
}

void AppendQuotedInt64(int64_t value, std::string* out) {
  char buffer[absl::numbers_internal::kFastToBufferSize + 2];
  buffer[0] = '"';
  char* end = absl::numbers_internal::FastIntToBuffer(value, buffer + 1);
  *end++ = '"';
  out->append(buffer, end - buffer);
}

void AppendQuotedUint64(uint64_t value, std::string* out) {
  char buffer[absl::numbers_internal::kFastToBufferSize + 2];
  buffer[0] = '"';
  char* end = absl::numbers_internal::FastIntToBuffer(value, buffer + 1);
  *end++ = '"';
  out->append(buffer, end - buffer);
}

// protobuf: snprintf("%.15g"); if strtod of that is not the value, "%.17g".
void AppendDouble(double value, std::string* out) {
  if (AppendNonFinite(value, out)) return;
  char buffer[kBufferSize];
  char* end = FormatG(value, std::numeric_limits<double>::digits10, buffer);
  double parsed = 0;
  auto read = std::from_chars(buffer, end, parsed);
  // from_chars refuses subnormal results (ERANGE) where strtod returns them.
  if (read.ec == std::errc::result_out_of_range) {
    parsed = std::strtod(buffer, nullptr);
  }
  if (parsed != value) {
    end = FormatG(value, std::numeric_limits<double>::max_digits10, buffer);
  }
  out->append(buffer, end - buffer);
}

// protobuf: snprintf("%.6g"); if strtof of that fails (a subnormal sets
// ERANGE) or is not the value, "%.9g".
void AppendFloat(float value, std::string* out) {
  if (AppendNonFinite(value, out)) return;
  char buffer[kBufferSize];
  char* end = FormatG(value, std::numeric_limits<float>::digits10, buffer);
  float parsed = 0;
  auto read = std::from_chars(buffer, end, parsed);
  if (std::fpclassify(value) == FP_SUBNORMAL || read.ec != std::errc() ||
      parsed != value) {
    end = FormatG(value, std::numeric_limits<float>::max_digits10, buffer);
  }
  out->append(buffer, end - buffer);
}

}  // namespace lmdbapi::json
