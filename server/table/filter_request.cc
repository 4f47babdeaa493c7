#include "server/table/filter_request.h"

#include <optional>
#include <string>

#include "absl/base/casts.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/wire_format_lite.h"
#include "model/request_access.h"
#include "model/wire_fields.h"
#include "storage/validate.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::internal::WireFormatLite;
using storage::Op;
using storage::Value;

// A Timestamp filter value; INVALID_ARGUMENT naming `field` when invalid.
absl::StatusOr<bool> TimestampFilter(const FieldDescriptor* field,
                                     int64_t seconds, int32_t nanos,
                                     Value* value) {
  if (!storage::ValidTimestamp(seconds, nanos)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field '", field->name(), "': not a valid timestamp (seconds ", seconds,
        ", nanos ", nanos, ")"));
  }
  *value = storage::TimestampValue{seconds, nanos};
  return true;
}

// An enum filter value: 0 is unset; a number the enum does not name is
// INVALID_ARGUMENT.
absl::StatusOr<bool> EnumFilter(const FieldDescriptor* field, int number,
                                Value* value) {
  if (number == 0) return false;
  if (field->enum_type()->FindValueByNumber(number) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field->name(), "': ", number,
                     " is not a value of ", field->enum_type()->full_name()));
  }
  *value = int64_t{number};
  return true;
}

absl::Status NotAFilter(const FieldDescriptor* field) {
  return absl::InvalidArgumentError(
      absl::StrCat("field '", field->name(), "' cannot be used as a filter"));
}

bool IsTimestamp(const Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp";
}

// The value of a set filter field: a wrapper's `value`, a Timestamp, or a
// plain scalar. Returns false when the field is unset.
absl::StatusOr<bool> ReadFilterValue(const Message& request,
                                     const FieldDescriptor* field,
                                     Value* value) {
  const Reflection* r = request.GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!r->HasField(request, field)) return false;
    const Message& inner = r->GetMessage(request, field);
    const Descriptor* d = inner.GetDescriptor();
    const Reflection* ir = inner.GetReflection();
    if (IsTimestamp(d)) {
      return TimestampFilter(field, ir->GetInt64(inner, d->field(0)),
                             ir->GetInt32(inner, d->field(1)), value);
    }
    // A google.protobuf.*Value wrapper: its one field is `value`.
    const FieldDescriptor* v = d->field_count() == 1 ? d->field(0) : nullptr;
    if (v == nullptr) return NotAFilter(field);
    *value = storage::ReadValue(inner,
                                storage::FieldRef{v, *storage::KindOfField(v)});
    return true;
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    return EnumFilter(field, r->GetEnumValue(request, field), value);
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    std::string text = r->GetString(request, field);
    if (text.empty()) return false;
    *value = std::move(text);
    return true;
  }
  return NotAFilter(field);
}

// The value of scalar field `v` (a wrapper's `value`) read off `sent`, its one
// occurrence, or its default when `sent` is null; nullopt when `sent` has
// another wire type (a parse keeps such a field among the unknown ones).
std::optional<Value> WireScalar(const FieldDescriptor* v,
                                const model::WireField* sent) {
  const uint64_t bits = sent == nullptr ? 0 : sent->scalar;
  const int wire_type = sent == nullptr ? -1 : sent->wire_type;
  auto sent_as = [&](WireFormatLite::WireType expected) {
    return sent == nullptr || wire_type == expected;
  };
  switch (v->type()) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
      if (!sent_as(WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) break;
      return Value(sent == nullptr ? std::string() : std::string(sent->bytes));
    case FieldDescriptor::TYPE_INT64:
      if (!sent_as(WireFormatLite::WIRETYPE_VARINT)) break;
      return Value(static_cast<int64_t>(bits));
    case FieldDescriptor::TYPE_INT32:
      if (!sent_as(WireFormatLite::WIRETYPE_VARINT)) break;
      return Value(int64_t{static_cast<int32_t>(bits)});
    case FieldDescriptor::TYPE_UINT64:
      if (!sent_as(WireFormatLite::WIRETYPE_VARINT)) break;
      return Value(uint64_t{bits});
    case FieldDescriptor::TYPE_UINT32:
      if (!sent_as(WireFormatLite::WIRETYPE_VARINT)) break;
      return Value(uint64_t{static_cast<uint32_t>(bits)});
    case FieldDescriptor::TYPE_BOOL:
      if (!sent_as(WireFormatLite::WIRETYPE_VARINT)) break;
      return Value(bits != 0);
    case FieldDescriptor::TYPE_DOUBLE:
      if (!sent_as(WireFormatLite::WIRETYPE_FIXED64)) break;
      return Value(absl::bit_cast<double>(bits));
    case FieldDescriptor::TYPE_FLOAT:
      if (!sent_as(WireFormatLite::WIRETYPE_FIXED32)) break;
      return Value(double{absl::bit_cast<float>(static_cast<uint32_t>(bits))});
    default:
      break;
  }
  return std::nullopt;
}

// Scans into `fields` a wrapper's or Timestamp's `bytes`; false unless each
// of its fields occurs at most once and is one the type declares (every
// field of `type`, as of the well-known types, numbered 1 to its count).
bool ScanPlainMessage(absl::string_view bytes, const Descriptor* type,
                      model::WireFields* fields) {
  if (!model::WireFields::Scan(bytes, fields)) return false;
  for (const model::WireField& f : fields->fields()) {
    if (f.occurrences != 1 || f.number < 1 || f.number > type->field_count()) {
      return false;
    }
  }
  return true;
}

// ReadFilterValue for a field read off `sent`, its last occurrence on the
// wire; nullopt when the request's reflection must be read instead (a field
// sent more than once, which a parse merges, or in an unusual shape).
std::optional<absl::StatusOr<bool>> WireFilterValue(
    const model::WireField& sent, const FieldDescriptor* field, Value* value) {
  if (sent.occurrences != 1) return std::nullopt;
  const int wire_type = sent.wire_type;
  switch (field->type()) {
    case FieldDescriptor::TYPE_STRING:
      if (wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) break;
      if (sent.bytes.empty()) return absl::StatusOr<bool>(false);
      *value = std::string(sent.bytes);
      return absl::StatusOr<bool>(true);
    case FieldDescriptor::TYPE_ENUM:
      // A closed (proto2) enum keeps a number it does not name unknown.
      if (wire_type != WireFormatLite::WIRETYPE_VARINT ||
          field->enum_type()->file()->syntax() !=
              google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
        break;
      }
      return EnumFilter(field, static_cast<int32_t>(sent.scalar), value);
    case FieldDescriptor::TYPE_MESSAGE: {
      if (wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) break;
      const Descriptor* d = field->message_type();
      model::WireFields plain;
      if (!ScanPlainMessage(sent.bytes, d, &plain)) break;
      const model::WireFields* inner = &plain;
      if (IsTimestamp(d)) {
        const model::WireField* seconds = inner->Find(1);
        const model::WireField* nanos = inner->Find(2);
        for (const model::WireField* f : {seconds, nanos}) {
          if (f != nullptr && f->wire_type != WireFormatLite::WIRETYPE_VARINT) {
            return std::nullopt;
          }
        }
        return TimestampFilter(
            field,
            seconds == nullptr ? 0 : static_cast<int64_t>(seconds->scalar),
            nanos == nullptr ? 0 : static_cast<int32_t>(nanos->scalar), value);
      }
      if (d->field_count() != 1) break;
      std::optional<Value> scalar =
          WireScalar(d->field(0), inner->Find(d->field(0)->number()));
      if (!scalar.has_value()) break;
      *value = std::move(*scalar);
      return absl::StatusOr<bool>(true);
    }
    default:
      break;
  }
  return std::nullopt;
}

// The query of `request`, whose set typed fields are `set`. `wire`, when not
// null, holds the fields of the request's wire form: a list field absent
// there is not read, and a typed field is read off it where it can be.
absl::StatusOr<storage::Query> QueryOf(
    const Message& request, absl::Span<const model::FilterRequestField> set,
    const model::WireFields* wire) {
  auto sent = [wire](model::FieldSlot slot) {
    return wire == nullptr || wire->Find(slot.number) != nullptr;
  };
  // A list field sent once with its own wire type is read off the wire (if
  // the request type has it: Count's has no page_size, for one).
  auto once = [wire, &request](model::FieldSlot slot, int wire_type) {
    const model::WireField* f =
        wire == nullptr ? nullptr : wire->Find(slot.number);
    return f != nullptr && f->occurrences == 1 && f->wire_type == wire_type &&
                   model::FieldAt(request, slot.number) != nullptr
               ? f
               : nullptr;
  };
  auto text = [&](model::FieldSlot slot,
                  std::string (*by_reflection)(const Message&)) {
    const model::WireField* f =
        once(slot, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    if (f != nullptr) return std::string(f->bytes);
    return sent(slot) ? by_reflection(request) : std::string();
  };
  storage::Query query;
  const model::WireField* size_field =
      once(model::layout::kPageSize, WireFormatLite::WIRETYPE_VARINT);
  int32_t size = size_field != nullptr
                     ? static_cast<int32_t>(size_field->scalar)
                 : sent(model::layout::kPageSize) ? model::PageSize(request)
                                                  : 0;
  if (size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", model::layout::kPageSize.name,
                     "': must not be negative (got ", size, ")"));
  }
  query.page_size = static_cast<size_t>(size);
  query.page_token = text(model::layout::kPageToken, model::PageToken);
  query.filter = text(model::layout::kFilter, model::FilterText);
  query.order_by = text(model::layout::kOrderBy, model::OrderBy);
  query.predicates.reserve(set.size());
  for (const model::FilterRequestField& field : set) {
    Value value;
    const model::WireField* on_wire =
        wire == nullptr ? nullptr : wire->Find(field.request_field->number());
    std::optional<absl::StatusOr<bool>> read =
        on_wire == nullptr
            ? std::nullopt
            : WireFilterValue(*on_wire, field.request_field, &value);
    if (!read.has_value()) {
      read = ReadFilterValue(request, field.request_field, &value);
    }
    LMDBAPI_ASSIGN_OR_RETURN(bool set, *std::move(read));
    if (!set) continue;
    Op op = field.role == model::FilterRole::kMin   ? Op::kGe
            : field.role == model::FilterRole::kMax ? Op::kLe
                                                    : Op::kEq;
    query.predicates.push_back(
        storage::Predicate{field.record_field->name(), op, std::move(value)});
  }
  return query;
}

}  // namespace

absl::StatusOr<storage::Query> QueryFromRequest(const Message& request,
                                                const Descriptor* record) {
  return QueryOf(request, model::SetFilterFields(request, record), nullptr);
}

absl::StatusOr<storage::Query> QueryFromRequest(const Message& request,
                                                absl::string_view wire,
                                                const Descriptor* record) {
  model::WireFields fields;
  if (!model::WireFields::Scan(wire, &fields)) {
    return QueryFromRequest(request, record);
  }
  return QueryOf(
      request, model::SetFilterFields(fields, request.GetDescriptor(), record),
      &fields);
}

}  // namespace lmdbapi::server
