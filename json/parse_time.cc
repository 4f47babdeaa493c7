// Timestamp and Duration strings to seconds and nanos.
#include "json/parse_time.h"

namespace lmdbapi::json {
namespace {

constexpr int64_t kMaxDurationSeconds = 315576000000;

// `n` decimal digits at `p`.
bool Digits(const char* p, int n, int* value) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  *value = v;
  return true;
}

bool IsLeapYear(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to the date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// A '.' and 1 to 9 digits at the front of `text`, as nanoseconds; nothing
// (no '.') is 0. Advances `text`.
bool Fraction(absl::string_view* text, int32_t* nanos) {
  *nanos = 0;
  if (text->empty() || (*text)[0] != '.') return true;
  size_t n = 1;
  int32_t v = 0;
  while (n < text->size() && (*text)[n] >= '0' && (*text)[n] <= '9') {
    if (n > 9) return false;
    v = v * 10 + ((*text)[n] - '0');
    ++n;
  }
  if (n == 1) return false;
  for (size_t i = n; i <= 9; ++i) v *= 10;
  *nanos = v;
  text->remove_prefix(n);
  return true;
}

// "Z" or "+HH:MM" / "-HH:MM", all of `text`: the seconds to subtract.
bool Offset(absl::string_view text, int64_t* seconds) {
  if (text == "Z") {
    *seconds = 0;
    return true;
  }
  int h, m;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') ||
      text[3] != ':' || !Digits(&text[1], 2, &h) || !Digits(&text[4], 2, &m) ||
      h > 23 || m > 59) {
    return false;
  }
  *seconds = (text[0] == '+' ? 1 : -1) * (h * 3600 + m * 60);
  return true;
}

// "YYYY-MM-DDTHH:MM:SS" as seconds since the epoch.
bool DateTime(absl::string_view text, int64_t* seconds) {
  const char* p = text.data();
  int y, mo, d, h, mi, s;
  if (text.size() < 19 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
      p[13] != ':' || p[16] != ':' || !Digits(p, 4, &y) ||
      !Digits(p + 5, 2, &mo) || !Digits(p + 8, 2, &d) ||
      !Digits(p + 11, 2, &h) || !Digits(p + 14, 2, &mi) ||
      !Digits(p + 17, 2, &s)) {
    return false;
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 ||
      mi > 59 || s > 59) {
    return false;
  }
  *seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return true;
}

}  // namespace

bool ParseTimestamp(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  int64_t local, offset;
  if (!DateTime(text, &local)) return false;
  text.remove_prefix(19);
  if (!Fraction(&text, nanos) || !Offset(text, &offset)) return false;
  *seconds = local - offset;
  return true;
}

bool ParseDuration(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  size_t n = 0;
  int64_t s = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
    if (n == 12) return false;  // more digits than the range needs
    s = s * 10 + (text[n] - '0');
    ++n;
  }
  if (n == 0 || s > kMaxDurationSeconds) return false;
  text.remove_prefix(n);
  int32_t frac;
  if (!Fraction(&text, &frac) || text != "s") return false;
  *seconds = negative ? -s : s;
  *nanos = negative ? -frac : frac;
  return true;
}

}  // namespace lmdbapi::json
