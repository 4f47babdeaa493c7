#include "model/filter_fields.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
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

// The request's own fields (page_size, filter, ...) by name.
std::set<std::string> RequestFieldNames() {
  std::set<std::string> names;
  for (const FieldSlot& slot : layout::kListFields) names.insert(slot.name);
  return names;
}

// Keys the generated requests need under the key's own name: a parent key
// fills the parent-scoped REST path of Filter and Count; a primary key, Get's.
absl::Status CheckKeyNames(const TableModel& table) {
  if (table.parent_key != nullptr &&
      RequestFieldNames().count(table.parent_key->name()) != 0) {
    return SchemaError(
        table.message, table.parent_key->name(),
        absl::StrCat("a parent key cannot be named '", table.parent_key->name(),
                     "': the filter request has a field of its own of that "
                     "name; rename the field"));
  }
  if (table.primary_key != nullptr &&
      table.primary_key->name() == layout::kGetReadMask.name) {
    return SchemaError(
        table.message, table.primary_key->name(),
        absl::StrCat("a primary key cannot be named '",
                     layout::kGetReadMask.name,
                     "': the get request has a field of its own of that "
                     "name; rename the field"));
  }
  return absl::OkStatus();
}

// Every typed field the record's fields could have, in field order.
absl::StatusOr<std::vector<FilterField>> Candidates(const TableModel& table) {
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
  return fields;
}

}  // namespace

absl::StatusOr<std::vector<FilterField>> FilterFieldsOf(
    const TableModel& table) {
  LMDBAPI_RETURN_IF_ERROR(CheckKeyNames(table));
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<FilterField> candidates,
                           Candidates(table));
  // Names go to the request's own fields first, then to each record field's
  // equality (its own name), then to the _min/_max bounds in field order.
  std::set<std::string> taken = RequestFieldNames();
  std::vector<bool> keep(candidates.size(), false);
  for (bool bounds : {false, true}) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      if ((candidates[i].role != FilterRole::kEquals) != bounds) continue;
      keep[i] = taken.insert(candidates[i].name).second;
    }
  }
  std::vector<FilterField> fields;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (keep[i]) fields.push_back(std::move(candidates[i]));
  }
  return fields;
}

std::vector<std::string> UntypedFilterFields(const TableModel& table) {
  std::set<std::string> typed;
  for (const FilterField& f : table.filter_fields) {
    if (f.role == FilterRole::kEquals) typed.insert(f.record_field);
  }
  std::vector<std::string> untyped;
  for (int i = 0; i < table.message->field_count(); ++i) {
    const FieldDescriptor* field = table.message->field(i);
    if (!KindOfField(field).ok() || table.IsServerMaintained(field)) continue;
    if (typed.count(field->name()) == 0) untyped.push_back(field->name());
  }
  return untyped;
}

}  // namespace lmdbapi::model
