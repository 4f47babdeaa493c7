// Timestamp and Duration formatting: civil dates from day numbers
// (proleptic Gregorian calendar, 400-year eras) and protobuf's fractions.
#include "json/json_time.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace lmdbapi::json {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kMinTimestamp = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestamp = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMaxDuration = 315576000000;
constexpr int32_t kNanosPerSecond = 1000000000;

struct CivilDate {
  int year, month, day;
};

// The date `days` after 1970-01-01. Counts from 0000-03-01 so that the leap
// day ends a year; an era of 400 years has 146097 days.
CivilDate DateOfDay(int64_t days) {
  const int64_t from_march = days + 719468;  // Days 0000-03-01..1970-01-01.
  const int64_t era =
      (from_march >= 0 ? from_march : from_march - 146096) / 146097;
  const int64_t day_of_era = from_march - era * 146097;  // [0, 146096]
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 +
                               day_of_era / 36524 - day_of_era / 146096) /
                              365;  // [0, 399]
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  CivilDate date;
  date.day =
      static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  date.month = static_cast<int>(month_from_march < 10 ? month_from_march + 3
                                                      : month_from_march - 9);
  date.year = static_cast<int>(year_of_era + era * 400 + (date.month <= 2));
  return date;
}

// "00" to "99", two digits a step.
constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

// `value` in `width` digits, zero-padded (`value` < 10^width).
char* PutDigits(uint64_t value, int width, char* p) {
  int i = width;
  for (; i >= 2; i -= 2) {
    std::memcpy(p + i - 2, kPairs + 2 * (value % 100), 2);
    value /= 100;
  }
  if (i == 1) p[0] = static_cast<char>('0' + value);
  return p + width;
}

// ".500", ".000500" or ".000000500": the fewest of 3, 6 or 9 digits that
// hold `nanos` (nothing for 0). Only the last 9 digits of a larger value
// are written, as protobuf's printer does with the negative nanos of a
// positive Duration.
char* PutNanos(uint32_t nanos, char* p) {
  if (nanos == 0) return p;
  *p++ = '.';
  nanos %= kNanosPerSecond;
  if (nanos % 1000 != 0) return PutDigits(nanos, 9, p);
  if (nanos % 1000000 != 0) return PutDigits(nanos / 1000, 6, p);
  return PutDigits(nanos / 1000000, 3, p);
}

}  // namespace

bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string* out) {
  if (seconds < kMinTimestamp || seconds > kMaxTimestamp || nanos < 0 ||
      nanos >= kNanosPerSecond) {
    return false;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t second_of_day = seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const CivilDate date = DateOfDay(days);
  char buffer[40];
  char* p = buffer;
  *p++ = '"';
  p = PutDigits(date.year, 4, p);
  *p++ = '-';
  p = PutDigits(date.month, 2, p);
  *p++ = '-';
  p = PutDigits(date.day, 2, p);
  *p++ = 'T';
  p = PutDigits(second_of_day / 3600, 2, p);
  *p++ = ':';
  p = PutDigits(second_of_day / 60 % 60, 2, p);
  *p++ = ':';
  p = PutDigits(second_of_day % 60, 2, p);
  p = PutNanos(static_cast<uint32_t>(nanos), p);
  *p++ = 'Z';
  *p++ = '"';
  out->append(buffer, p - buffer);
  return true;
}

bool AppendDuration(int64_t seconds, int32_t nanos, std::string* out) {
  if (seconds < -kMaxDuration || seconds > kMaxDuration ||
      nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond ||
      (seconds < 0 && nanos > 0)) {
    return false;
  }
  bool negative = seconds < 0 || (seconds == 0 && nanos < 0);
  if (negative) {
    seconds = -seconds;
    nanos = -nanos;
  }
  char buffer[40];
  char* p = buffer;
  *p++ = '"';
  if (negative) *p++ = '-';
  int width = 1;
  for (int64_t rest = seconds / 10; rest != 0; rest /= 10) ++width;
  p = PutDigits(seconds, width, p);
  p = PutNanos(static_cast<uint32_t>(nanos), p);
  *p++ = 's';
  *p++ = '"';
  out->append(buffer, p - buffer);
  return true;
}

}  // namespace lmdbapi::json
