#include "model/filter_fields.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "model/schema_error.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::FieldDescriptor;

// The proto type that carries an optional filter value for `field`.
std::string FilterType(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return field->type() == FieldDescriptor::TYPE_BYTES
                 ? "google.protobuf.BytesValue"
                 : "google.protobuf.StringValue";
    case FieldDescriptor::CPPTYPE_INT32:
      return "google.protobuf.Int32Value";
    case FieldDescriptor::CPPTYPE_INT64:
      return "google.protobuf.Int64Value";
    case FieldDescriptor::CPPTYPE_UINT32:
      return "google.protobuf.UInt32Value";
    case FieldDescriptor::CPPTYPE_UINT64:
      return "google.protobuf.UInt64Value";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "google.protobuf.BoolValue";
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "google.protobuf.FloatValue";
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return "google.protobuf.DoubleValue";
    case FieldDescriptor::CPPTYPE_ENUM:
      return "." + field->enum_type()->full_name();
    default:  // KindOfField admits no other message
      return "google.protobuf.Timestamp";
  }
}

bool IsOrdered(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_BOOL:
    case FieldDescriptor::CPPTYPE_ENUM:
      return false;
    default:
      return true;  // numbers and Timestamps
  }
}

FilterField Equality(const TableModel& table, const FieldDescriptor* field) {
  FilterField eq;
  eq.name = field->name();
  eq.record_field = field->name();
  eq.number = FilterFieldNumber(field->number(), FilterRole::kEquals);
  if (field == table.parent_key) {
    eq.type = "string";  // plain: path parameters cannot fill wrappers
    eq.comment = "Records of this parent (empty: any).";
  } else {
    eq.type = FilterType(field);
    eq.comment = field->enum_type() != nullptr
                     ? absl::StrCat(field->name(), " equals (0 = any).")
                     : absl::StrCat(field->name(), " equals (unset = any).");
  }
  return eq;
}

FilterField Bound(const FilterField& eq, const FieldDescriptor* field,
                  FilterRole role) {
  bool min = role == FilterRole::kMin;
  FilterField bound = eq;
  bound.name = field->name() + (min ? "_min" : "_max");
  bound.number = FilterFieldNumber(field->number(), role);
  bound.role = role;
  bound.comment =
      absl::StrCat(field->name(), min ? " >= " : " <= ", "this (inclusive).");
  return bound;
}

}  // namespace

absl::StatusOr<std::vector<FilterField>> FilterFieldsOf(
    const TableModel& table) {
  std::vector<FilterField> fields;
  for (int i = 0; i < table.message->field_count(); ++i) {
    const FieldDescriptor* field = table.message->field(i);
    if (!KindOfField(field).ok()) continue;  // not filterable
    // Server-maintained fields: stored records do not hold them.
    if (table.IsServerMaintained(field)) continue;
    if (field->number() > layout::kMaxFilterableNumber) {
      return SchemaError(
          table.message, field->name(),
          absl::StrCat("field number ", field->number(), " is above ",
                       layout::kMaxFilterableNumber,
                       ", the largest a filter can map"));
    }
    fields.push_back(Equality(table, field));
    if (IsOrdered(field) && field != table.parent_key) {
      fields.push_back(Bound(fields.back(), field, FilterRole::kMin));
      fields.push_back(
          Bound(fields[fields.size() - 2], field, FilterRole::kMax));
    }
  }
  std::set<std::string> names = {layout::kPageSize.name,
                                 layout::kPageToken.name};
  for (const FilterField& f : fields) {
    if (!names.insert(f.name).second) {
      return SchemaError(
          table.message, f.record_field,
          absl::StrCat("the filter request field '", f.name,
                       "' would be declared twice; rename the field"));
    }
  }
  return fields;
}

}  // namespace lmdbapi::model
