#include "storage/filter_literal.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "storage/validate.h"

namespace lmdbapi::storage::filter {
namespace {

using google::protobuf::FieldDescriptor;

// RFC 3339 in UTC with a 'Z' and only the fraction digits needed.
constexpr char kRfc3339Utc[] = "%Y-%m-%d%ET%H:%M:%E*SZ";
// An enum's values listed in an error, at most.
constexpr int kListedEnumValues = 12;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [+-] digits [. digits] [e [+-] digits], or with digits only after the
// point: what a filter may write as a number (no hex, inf or nan).
bool IsDecimal(absl::string_view s) {
  size_t i = 0, digits = 0;
  auto run = [&] {
    size_t n = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++n;
    return n;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  digits += run();
  if (i < s.size() && s[i] == '.') ++i, digits += run();
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (run() == 0) return false;
  }
  return i == s.size();
}

absl::Status Bad(const FieldRef& field, const Literal& literal,
                 absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "field '", field.Name(), "' is ", FieldTypePhrase(field.field), "; ",
      ShowLiteral(literal), " ", problem));
}

// The range of the field's proto type, for messages and checks.
struct IntRange {
  int64_t min;
  uint64_t max;
};

IntRange RangeOf(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_ENUM:
      return {INT32_MIN, INT32_MAX};
    case FieldDescriptor::CPPTYPE_UINT32:
      return {0, UINT32_MAX};
    case FieldDescriptor::CPPTYPE_UINT64:
      return {0, UINT64_MAX};
    default:
      return {INT64_MIN, INT64_MAX};
  }
}

absl::Status OutOfRange(const FieldRef& field, const Literal& literal) {
  IntRange range = RangeOf(field.field);
  return Bad(
      field, literal,
      absl::StrCat("is out of range (", range.min, " to ", range.max, ")"));
}

// A whole number written as an integer ("42", "-7") or as a float with no
// fraction ("4.2e1"), as its sign and magnitude; false when the text is not
// a number, is fractional or does not fit 64 bits.
struct Whole {
  bool negative = false;
  uint64_t magnitude = 0;
};

absl::StatusOr<Whole> ParseWhole(const FieldRef& field,
                                 const Literal& literal) {
  const std::string& text = literal.text;
  if (!IsDecimal(text)) return Bad(field, literal, "is not an integer");
  Whole whole;
  whole.negative = text[0] == '-';
  absl::string_view digits = text;
  if (text[0] == '-' || text[0] == '+') digits.remove_prefix(1);
  if (absl::SimpleAtoi(digits, &whole.magnitude)) return whole;
  double d = 0;
  if (!absl::SimpleAtod(digits, &d))
    return Bad(field, literal, "is not an integer");
  if (std::isfinite(d) && d != std::trunc(d)) {
    return Bad(field, literal, "is not an integer");
  }
  if (!std::isfinite(d) || d >= 18446744073709551616.0) {
    return OutOfRange(field, literal);
  }
  whole.magnitude = static_cast<uint64_t>(d);
  return whole;
}

absl::StatusOr<Value> IntegerValue(const FieldRef& field,
                                   const Literal& literal) {
  LMDBAPI_ASSIGN_OR_RETURN(Whole whole, ParseWhole(field, literal));
  const IntRange range = RangeOf(field.field);
  if (field.kind == FieldKind::kUint64) {
    if (whole.negative && whole.magnitude != 0) {
      return OutOfRange(field, literal);
    }
    if (whole.magnitude > range.max) return OutOfRange(field, literal);
    return Value(whole.magnitude);
  }
  const uint64_t min_magnitude = static_cast<uint64_t>(-(range.min + 1)) + 1;
  if (whole.negative ? whole.magnitude > min_magnitude
                     : whole.magnitude > range.max) {
    return OutOfRange(field, literal);
  }
  // The magnitude fits: two's complement negation is exact here.
  const uint64_t bits = whole.negative ? ~whole.magnitude + 1 : whole.magnitude;
  return Value(static_cast<int64_t>(bits));
}

std::string EnumValueNames(const google::protobuf::EnumDescriptor* e) {
  std::string names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (i == kListedEnumValues) {
      absl::StrAppend(&names, ", …");
      break;
    }
    absl::StrAppend(&names, i == 0 ? "" : ", ", e->value(i)->name());
  }
  return names;
}

absl::StatusOr<Value> EnumValue(const FieldRef& field, const Literal& literal) {
  const google::protobuf::EnumDescriptor* e = field.field->enum_type();
  if (const auto* named = e->FindValueByName(literal.text)) {
    return Value(int64_t{named->number()});
  }
  if (IsDecimal(literal.text)) {
    LMDBAPI_ASSIGN_OR_RETURN(Value number, IntegerValue(field, literal));
    if (e->FindValueByNumber(static_cast<int>(std::get<int64_t>(number)))) {
      return number;
    }
  }
  return Bad(field, literal,
             absl::StrCat("is not a value of ", e->full_name(), " (",
                          EnumValueNames(e), ")"));
}

absl::StatusOr<Value> DoubleValue(const FieldRef& field,
                                  const Literal& literal) {
  double d = 0;
  if (!IsDecimal(literal.text) || !absl::SimpleAtod(literal.text, &d)) {
    return Bad(field, literal, "is not a number");
  }
  const bool is_float =
      field.field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
  if (!std::isfinite(d) || (is_float && std::fabs(d) > FLT_MAX)) {
    return Bad(
        field, literal,
        absl::StrCat("is out of range for a ", is_float ? "float" : "double"));
  }
  // A float field's values read back as floats widened to double.
  if (is_float) d = static_cast<double>(static_cast<float>(d));
  return Value(d);
}

absl::StatusOr<Value> BoolValue(const FieldRef& field, const Literal& literal) {
  if (literal.text == "true") return Value(true);
  if (literal.text == "false") return Value(false);
  return Bad(field, literal, "is not true or false");
}

absl::StatusOr<Value> TimestampLiteral(const FieldRef& field,
                                       const Literal& literal) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, literal.text, &time, &error) ||
      time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return Bad(field, literal,
               "is not an RFC 3339 timestamp such as "
               "\"2024-01-02T03:04:05Z\" (quoted)");
  }
  const int64_t seconds = absl::ToUnixSeconds(time);
  const int64_t nanos =
      (time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1);
  if (nanos < 0 || nanos > 999'999'999 ||
      !ValidTimestamp(seconds, static_cast<int32_t>(nanos))) {
    return Bad(field, literal, "is outside the years 0001 to 9999");
  }
  return Value(TimestampValue{seconds, static_cast<int32_t>(nanos)});
}

// Appends `text` quoted, with \" \\ \* \n \r \t \xHH escapes (`prefix`: an
// unescaped '*' before the closing quote).
void AppendQuoted(absl::string_view text, bool prefix, std::string* out) {
  out->reserve(out->size() + text.size() + 3);
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
      case '\\':
      case '*':
        out->push_back('\\');
        out->push_back(c);
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20 || c == 0x7f) {
          absl::StrAppend(out,
                          absl::StrFormat("\\x%02x", static_cast<uint8_t>(c)));
        } else {
          out->push_back(c);
        }
    }
  }
  if (prefix) out->push_back('*');
  out->push_back('"');
}

// The shortest "%g" text that reads back as `d`.
std::string ShortestDouble(double d) {
  for (int precision = 1; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, d);
    double back = 0;
    if (absl::SimpleAtod(text, &back) && back == d) return text;
  }
  return absl::StrFormat("%.17g", d);
}

// An enum value by name when it has one, else the number.
void AppendInt64(const FieldRef& field, int64_t v, std::string* out) {
  const google::protobuf::EnumDescriptor* e = field.field->enum_type();
  if (e != nullptr && v >= INT32_MIN && v <= INT32_MAX) {
    if (const auto* named = e->FindValueByNumber(static_cast<int>(v))) {
      out->append(named->name());
      return;
    }
  }
  absl::StrAppend(out, v);
}

}  // namespace

std::string FieldTypePhrase(const FieldDescriptor* field) {
  if (const auto* e = field->enum_type()) {
    return absl::StrCat("an enum ", e->full_name(), " field");
  }
  if (const auto* m = field->message_type()) {
    return absl::StrCat("a ", m->full_name(), " field");
  }
  absl::string_view type = field->type_name();
  const bool vowel = type[0] == 'i' || type[0] == 'e';
  return absl::StrCat(vowel ? "an " : "a ", type, " field");
}

std::string ShowLiteral(const Literal& literal) {
  if (literal.quoted) return ShowText(literal.raw);
  return absl::StrCat("'", ShowText(literal.raw), "'");
}

absl::StatusOr<Value> LiteralValue(const FieldRef& field,
                                   const Literal& literal) {
  switch (field.kind) {
    case FieldKind::kString:
      return Value(literal.text);
    case FieldKind::kInt64:
      if (field.field->enum_type() != nullptr) {
        return EnumValue(field, literal);
      }
      return IntegerValue(field, literal);
    case FieldKind::kUint64:
      return IntegerValue(field, literal);
    case FieldKind::kDouble:
      return DoubleValue(field, literal);
    case FieldKind::kBool:
      return BoolValue(field, literal);
    case FieldKind::kTimestamp:
      return TimestampLiteral(field, literal);
  }
  return Bad(field, literal, "cannot be compared");
}

void AppendLiteral(const FieldRef& field, const Value& value, bool prefix,
                   std::string* out) {
  switch (value.index()) {
    case 0:
      AppendQuoted(std::get<std::string>(value), prefix, out);
      return;
    case 1:
      AppendInt64(field, std::get<int64_t>(value), out);
      return;
    case 2:
      absl::StrAppend(out, std::get<uint64_t>(value));
      return;
    case 3:
      out->append(ShortestDouble(std::get<double>(value)));
      return;
    case 4:
      out->append(std::get<bool>(value) ? "true" : "false");
      return;
    case 5: {
      const auto& ts = std::get<TimestampValue>(value);
      const absl::Time time =
          absl::FromUnixSeconds(ts.seconds) + absl::Nanoseconds(ts.nanos);
      absl::StrAppend(out, "\"",
                      absl::FormatTime(kRfc3339Utc, time, absl::UTCTimeZone()),
                      "\"");
      return;
    }
  }
  out->append("?");
}

std::string FormatLiteral(const FieldRef& field, const Value& value,
                          bool prefix) {
  std::string text;
  AppendLiteral(field, value, prefix, &text);
  return text;
}

}  // namespace lmdbapi::storage::filter
