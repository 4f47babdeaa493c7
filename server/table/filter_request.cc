#include "server/table/filter_request.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/request_access.h"
#include "storage/validate.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using storage::Op;
using storage::Value;

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
    if (d->full_name() == "google.protobuf.Timestamp") {
      int64_t seconds = ir->GetInt64(inner, d->field(0));
      int32_t nanos = ir->GetInt32(inner, d->field(1));
      if (!storage::ValidTimestamp(seconds, nanos)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field '", field->name(), "': not a valid timestamp (seconds ",
            seconds, ", nanos ", nanos, ")"));
      }
      *value = storage::TimestampValue{seconds, nanos};
      return true;
    }
    // A google.protobuf.*Value wrapper: its one field is `value`.
    const FieldDescriptor* v = d->field_count() == 1 ? d->field(0) : nullptr;
    if (v == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field '", field->name(), "' cannot be used as a filter"));
    }
    *value = storage::ReadValue(inner,
                                storage::FieldRef{v, *storage::KindOfField(v)});
    return true;
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    int number = r->GetEnumValue(request, field);
    if (number == 0) return false;
    if (field->enum_type()->FindValueByNumber(number) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", field->name(), "': ", number,
                       " is not a value of ", field->enum_type()->full_name()));
    }
    *value = int64_t{number};
    return true;
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    std::string text = r->GetString(request, field);
    if (text.empty()) return false;
    *value = std::move(text);
    return true;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("field '", field->name(), "' cannot be used as a filter"));
}

// The query of `request`, whose set typed fields are `set`. `wire`, when not
// null, is the request's wire form: a list field absent there is not read
// (by reflection, ~500 instructions each).
absl::StatusOr<storage::Query> QueryOf(
    const Message& request, absl::Span<const model::FilterRequestField> set,
    const absl::string_view* wire) {
  auto sent = [wire](model::FieldSlot slot) {
    return wire == nullptr || model::WireHasField(*wire, slot.number);
  };
  storage::Query query;
  int32_t size = sent(model::layout::kPageSize) ? model::PageSize(request) : 0;
  if (size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", model::layout::kPageSize.name,
                     "': must not be negative (got ", size, ")"));
  }
  query.page_size = static_cast<size_t>(size);
  if (sent(model::layout::kPageToken)) {
    query.page_token = model::PageToken(request);
  }
  if (sent(model::layout::kFilter)) query.filter = model::FilterText(request);
  if (sent(model::layout::kOrderBy)) query.order_by = model::OrderBy(request);
  query.predicates.reserve(set.size());
  for (const model::FilterRequestField& field : set) {
    Value value;
    LMDBAPI_ASSIGN_OR_RETURN(
        bool set, ReadFilterValue(request, field.request_field, &value));
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
  return QueryOf(request,
                 model::SetFilterFields(wire, request.GetDescriptor(), record),
                 &wire);
}

}  // namespace lmdbapi::server
