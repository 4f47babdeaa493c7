#include "model/field_kind.h"

#include "absl/strings/str_cat.h"

namespace lmdbapi::model {

using google::protobuf::FieldDescriptor;

constexpr char kTimestampType[] = "google.protobuf.Timestamp";

const char* FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
      return "string";
    case FieldKind::kInt64:
      return "signed integer";
    case FieldKind::kUint64:
      return "unsigned integer";
    case FieldKind::kDouble:
      return "floating point";
    case FieldKind::kBool:
      return "bool";
    case FieldKind::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

absl::StatusOr<FieldKind> KindOfField(const FieldDescriptor* field) {
  if (field->is_repeated()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field '", field->full_name(),
        "' is repeated; only singular fields can be indexed or filtered"));
  }
  return ElementKindOf(field);
}

absl::StatusOr<FieldKind> ElementKindOf(const FieldDescriptor* field) {
  if (field->is_map()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", field->full_name(),
                     "' is a map; maps cannot be indexed or filtered"));
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return FieldKind::kString;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_ENUM:
      return FieldKind::kInt64;
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return FieldKind::kUint64;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return FieldKind::kDouble;
    case FieldDescriptor::CPPTYPE_BOOL:
      return FieldKind::kBool;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (field->message_type()->full_name() == kTimestampType) {
        return FieldKind::kTimestamp;
      }
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "field '", field->full_name(), "' has type ", field->type_name(),
      field->message_type()
          ? absl::StrCat(" ", field->message_type()->full_name())
          : "",
      ", which cannot be indexed or filtered (supported: strings, bytes, "
      "integers, enums, floating point, bool, google.protobuf.Timestamp)"));
}

}  // namespace lmdbapi::model
