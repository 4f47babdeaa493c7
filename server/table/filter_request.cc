#include "server/table/filter_request.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
    const FieldDescriptor* v = d->FindFieldByName("value");
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

}  // namespace

absl::StatusOr<storage::Query> QueryFromRequest(const Message& request,
                                                const Descriptor* record) {
  storage::Query query;
  const Descriptor* d = request.GetDescriptor();
  const Reflection* r = request.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    const std::string& name = field->name();
    if (name == "page_size") {
      int32_t size = r->GetInt32(request, field);
      if (size < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field 'page_size': must not be negative (got ", size, ")"));
      }
      query.page_size = static_cast<size_t>(size);
      continue;
    }
    if (name == "page_token") {
      query.page_token = r->GetString(request, field);
      continue;
    }
    Value value;
    absl::StatusOr<bool> set = ReadFilterValue(request, field, &value);
    if (!set.ok()) return set.status();
    if (!*set) continue;
    Op op = Op::kEq;
    std::string target = name;
    if (record->FindFieldByName(name) == nullptr) {
      if (absl::EndsWith(name, "_min")) {
        op = Op::kGe;
      } else if (absl::EndsWith(name, "_max")) {
        op = Op::kLe;
      }
      target = name.substr(0, name.size() - 4);
    }
    query.predicates.push_back(
        storage::Predicate{target, op, std::move(value)});
  }
  return query;
}

}  // namespace lmdbapi::server
