#include "storage/value.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kTimestampType[] = "google.protobuf.Timestamp";
constexpr int32_t kMaxNanos = 999'999'999;

TimestampValue ReadTimestamp(const Message& record,
                             const FieldDescriptor* field) {
  const Reflection* reflection = record.GetReflection();
  if (!reflection->HasField(record, field)) return {};
  const Message& ts = reflection->GetMessage(record, field);
  const google::protobuf::Descriptor* d = ts.GetDescriptor();
  const Reflection* r = ts.GetReflection();
  return TimestampValue{r->GetInt64(ts, d->field(0)),
                        r->GetInt32(ts, d->field(1))};
}

// Element `i` of the repeated field `f` of `holder`.
Value ReadElement(const Message& holder, const FieldDescriptor* f, int i) {
  const Reflection* r = holder.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetRepeatedString(holder, f, i);
    case FieldDescriptor::CPPTYPE_INT32:
      return int64_t{r->GetRepeatedInt32(holder, f, i)};
    case FieldDescriptor::CPPTYPE_INT64:
      return int64_t{r->GetRepeatedInt64(holder, f, i)};
    case FieldDescriptor::CPPTYPE_ENUM:
      return int64_t{r->GetRepeatedEnumValue(holder, f, i)};
    case FieldDescriptor::CPPTYPE_UINT32:
      return uint64_t{r->GetRepeatedUInt32(holder, f, i)};
    case FieldDescriptor::CPPTYPE_UINT64:
      return uint64_t{r->GetRepeatedUInt64(holder, f, i)};
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetRepeatedDouble(holder, f, i);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return double{r->GetRepeatedFloat(holder, f, i)};
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetRepeatedBool(holder, f, i);
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& ts = r->GetRepeatedMessage(holder, f, i);
      const auto* d = ts.GetDescriptor();
      return TimestampValue{ts.GetReflection()->GetInt64(ts, d->field(0)),
                            ts.GetReflection()->GetInt32(ts, d->field(1))};
    }
  }
  return std::string();
}

// Orders doubles as the tuple encoding does: NaN after +infinity, -0 == 0.
int CompareDoubles(double a, double b) {
  bool a_nan = std::isnan(a), b_nan = std::isnan(b);
  if (a_nan || b_nan) return a_nan == b_nan ? 0 : (a_nan ? 1 : -1);
  return a < b ? -1 : (a > b ? 1 : 0);
}

template <typename T>
int Compare3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

absl::Status AppendTimestamp(const TimestampValue& ts, const FieldRef& ref,
                             TupleWriter& writer) {
  if (ts.nanos < 0 || ts.nanos > kMaxNanos) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", ref.Name(), "': timestamp nanos ", ts.nanos,
                     " is outside [0, 999999999]"));
  }
  writer.AppendTimestamp(ts.seconds, ts.nanos);
  return absl::OkStatus();
}

bool ValueHasKind(const Value& value, FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
      return std::holds_alternative<std::string>(value);
    case FieldKind::kInt64:
      return std::holds_alternative<int64_t>(value);
    case FieldKind::kUint64:
      return std::holds_alternative<uint64_t>(value);
    case FieldKind::kDouble:
      return std::holds_alternative<double>(value);
    case FieldKind::kBool:
      return std::holds_alternative<bool>(value);
    case FieldKind::kTimestamp:
      return std::holds_alternative<TimestampValue>(value);
  }
  return false;
}

std::string FieldRef::Name() const {
  std::string name;
  AppendName(&name);
  return name;
}

void FieldRef::AppendName(std::string* out) const {
  for (const FieldDescriptor* step : path) {
    out->append(step->name());
    out->push_back('.');
  }
  out->append(field->name());
}

const Message& HolderOf(const Message& record, const FieldRef& ref) {
  const Message* holder = &record;
  for (const FieldDescriptor* step : ref.path) {
    holder = &holder->GetReflection()->GetMessage(*holder, step);
  }
  return *holder;
}

Value ReadValue(const Message& record, const FieldRef& ref) {
  const Message& holder = HolderOf(record, ref);
  const Reflection* r = holder.GetReflection();
  const FieldDescriptor* f = ref.field;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(holder, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return int64_t{r->GetInt32(holder, f)};
    case FieldDescriptor::CPPTYPE_INT64:
      return int64_t{r->GetInt64(holder, f)};
    case FieldDescriptor::CPPTYPE_ENUM:
      return int64_t{r->GetEnumValue(holder, f)};
    case FieldDescriptor::CPPTYPE_UINT32:
      return uint64_t{r->GetUInt32(holder, f)};
    case FieldDescriptor::CPPTYPE_UINT64:
      return uint64_t{r->GetUInt64(holder, f)};
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetDouble(holder, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return double{r->GetFloat(holder, f)};
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(holder, f);
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return ReadTimestamp(holder, f);
  }
  return std::string();
}

void ReadValues(const Message& record, const FieldRef& ref,
                std::vector<Value>* out) {
  if (!ref.repeated()) {
    out->push_back(ReadValue(record, ref));
    return;
  }
  const Message& holder = HolderOf(record, ref);
  const int n = holder.GetReflection()->FieldSize(holder, ref.field);
  for (int i = 0; i < n; ++i) out->push_back(ReadElement(holder, ref.field, i));
}

absl::Status AppendField(const Message& record, const FieldRef& ref,
                         TupleWriter& writer) {
  const Message& holder = HolderOf(record, ref);
  const Reflection* r = holder.GetReflection();
  const FieldDescriptor* f = ref.field;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      writer.AppendString(r->GetStringReference(holder, f, &scratch));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendTimestamp(ReadTimestamp(holder, f), ref, writer);
    default:
      AppendValue(ReadValue(record, ref), ref.kind, writer);
      return absl::OkStatus();
  }
}

absl::Status AppendElement(const Message& record, const FieldRef& ref, int i,
                           TupleWriter& writer) {
  const Message& holder = HolderOf(record, ref);
  const Reflection* r = holder.GetReflection();
  const FieldDescriptor* f = ref.field;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      writer.AppendString(
          r->GetRepeatedStringReference(holder, f, i, &scratch));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return AppendTimestamp(
          std::get<TimestampValue>(ReadElement(holder, f, i)), ref, writer);
    default:
      AppendValue(ReadElement(holder, f, i), ref.kind, writer);
      return absl::OkStatus();
  }
}

void AppendValue(const Value& value, FieldKind kind, TupleWriter& writer) {
  switch (kind) {
    case FieldKind::kString:
      writer.AppendString(std::get<std::string>(value));
      break;
    case FieldKind::kInt64:
      writer.AppendInt64(std::get<int64_t>(value));
      break;
    case FieldKind::kUint64:
      writer.AppendUint64(std::get<uint64_t>(value));
      break;
    case FieldKind::kDouble:
      writer.AppendDouble(std::get<double>(value));
      break;
    case FieldKind::kBool:
      writer.AppendBool(std::get<bool>(value));
      break;
    case FieldKind::kTimestamp: {
      const auto& ts = std::get<TimestampValue>(value);
      writer.AppendTimestamp(ts.seconds, ts.nanos);
      break;
    }
  }
}

int CompareValues(const Value& a, const Value& b) {
  if (a.index() != b.index()) return Compare3(a.index(), b.index());
  switch (a.index()) {
    case 0:
      return Compare3(std::get<std::string>(a), std::get<std::string>(b));
    case 1:
      return Compare3(std::get<int64_t>(a), std::get<int64_t>(b));
    case 2:
      return Compare3(std::get<uint64_t>(a), std::get<uint64_t>(b));
    case 3:
      return CompareDoubles(std::get<double>(a), std::get<double>(b));
    case 4:
      return Compare3(std::get<bool>(a), std::get<bool>(b));
    case 5: {
      const auto& x = std::get<TimestampValue>(a);
      const auto& y = std::get<TimestampValue>(b);
      if (x.seconds != y.seconds) return Compare3(x.seconds, y.seconds);
      return Compare3(x.nanos, y.nanos);
    }
  }
  return 0;
}

std::string ValueDebugString(const Value& value) {
  switch (value.index()) {
    case 0:
      return absl::StrCat("\"", std::get<std::string>(value), "\"");
    case 1:
      return absl::StrCat(std::get<int64_t>(value));
    case 2:
      return absl::StrCat(std::get<uint64_t>(value));
    case 3:
      return absl::StrCat(std::get<double>(value));
    case 4:
      return std::get<bool>(value) ? "true" : "false";
    case 5: {
      const auto& ts = std::get<TimestampValue>(value);
      return absl::FormatTime(
          absl::RFC3339_full,
          absl::FromUnixSeconds(ts.seconds) + absl::Nanoseconds(ts.nanos),
          absl::UTCTimeZone());
    }
  }
  return "?";
}

}  // namespace lmdbapi::storage
