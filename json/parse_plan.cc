// Builds json_parser's per-type tables from descriptors.
#include "json/parse_plan.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "google/protobuf/wire_format_lite.h"
#include "json/wire_writer.h"

namespace lmdbapi::json {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

namespace {

// The well-known types whose JSON form this parser leaves to protobuf.
bool LeftToProtobuf(absl::string_view full_name) {
  return full_name == "google.protobuf.Any" ||
         full_name == "google.protobuf.Struct" ||
         full_name == "google.protobuf.Value" ||
         full_name == "google.protobuf.ListValue" ||
         full_name == "google.protobuf.FieldMask" ||
         full_name == "google.protobuf.Empty";
}

bool IsWrapper(absl::string_view full_name) {
  static constexpr absl::string_view kWrappers[] = {
      "DoubleValue", "FloatValue", "Int64Value",  "UInt64Value", "Int32Value",
      "UInt32Value", "BoolValue",  "StringValue", "BytesValue"};
  if (!absl::ConsumePrefix(&full_name, "google.protobuf.")) return false;
  return std::find(std::begin(kWrappers), std::end(kWrappers), full_name) !=
         std::end(kWrappers);
}

Kind ScalarKind(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_INT32:
      return Kind::kInt32;
    case FieldDescriptor::TYPE_INT64:
      return Kind::kInt64;
    case FieldDescriptor::TYPE_UINT32:
      return Kind::kUInt32;
    case FieldDescriptor::TYPE_UINT64:
      return Kind::kUInt64;
    case FieldDescriptor::TYPE_SINT32:
      return Kind::kSInt32;
    case FieldDescriptor::TYPE_SINT64:
      return Kind::kSInt64;
    case FieldDescriptor::TYPE_FIXED32:
      return Kind::kFixed32;
    case FieldDescriptor::TYPE_FIXED64:
      return Kind::kFixed64;
    case FieldDescriptor::TYPE_SFIXED32:
      return Kind::kSFixed32;
    case FieldDescriptor::TYPE_SFIXED64:
      return Kind::kSFixed64;
    case FieldDescriptor::TYPE_FLOAT:
      return Kind::kFloat;
    case FieldDescriptor::TYPE_DOUBLE:
      return Kind::kDouble;
    case FieldDescriptor::TYPE_BOOL:
      return Kind::kBool;
    case FieldDescriptor::TYPE_STRING:
      return Kind::kString;
    default:
      return Kind::kBytes;
  }
}

WireFormatLite::WireType WireTypeOf(Kind kind) {
  switch (kind) {
    case Kind::kFixed64:
    case Kind::kSFixed64:
    case Kind::kDouble:
      return WireFormatLite::WIRETYPE_FIXED64;
    case Kind::kFixed32:
    case Kind::kSFixed32:
    case Kind::kFloat:
      return WireFormatLite::WIRETYPE_FIXED32;
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kMessage:
    case Kind::kTimestamp:
    case Kind::kDuration:
    case Kind::kWrapper:
      return WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    default:
      return WireFormatLite::WIRETYPE_VARINT;
  }
}

uint8_t PutTag(int number, WireFormatLite::WireType type, char* tag) {
  uint32_t value = WireFormatLite::MakeTag(number, type);
  return static_cast<uint8_t>(PutVarint(value, tag) - tag);
}

}  // namespace

class PlanBuilder {
 public:
  explicit PlanBuilder(ParsePlans* plans) : plans_(plans) {}

  absl::StatusOr<const MessageParsePlan*> Message(const Descriptor* type);

 private:
  absl::Status Fields(const Descriptor* type, MessageParsePlan* plan);
  absl::Status Field(const FieldDescriptor* field, FieldParsePlan* plan);
  // The plan of `field`'s values, tagged with `number` (0: untagged).
  absl::Status Value(const FieldDescriptor* field, int number,
                     ValueParsePlan* plan);
  absl::Status MessageValue(const Descriptor* type, ValueParsePlan* plan);
  absl::StatusOr<const EnumParsePlan*> Enum(const EnumDescriptor* type);
  static void IndexNames(MessageParsePlan* plan);

  ParsePlans* plans_;
  absl::flat_hash_map<const Descriptor*, const MessageParsePlan*> messages_;
  absl::flat_hash_map<const EnumDescriptor*, const EnumParsePlan*> enums_;
};

absl::StatusOr<const MessageParsePlan*> PlanBuilder::Message(
    const Descriptor* type) {
  auto it = messages_.find(type);
  if (it != messages_.end()) return it->second;
  if (LeftToProtobuf(type->full_name())) {
    return absl::UnimplementedError(
        absl::StrCat("json_parser leaves ", type->full_name(), " to protobuf"));
  }
  // proto2's required fields, groups, closed enums and extensions are
  // protobuf's to check; lmdbapi's schemas are proto3.
  if (type->file()->syntax() !=
      google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
    return absl::UnimplementedError(absl::StrCat(
        "json_parser leaves proto2 types to protobuf: ", type->full_name()));
  }
  MessageParsePlan* plan = &plans_->messages_.emplace_back();
  messages_[type] = plan;  // before the fields: a type may hold itself
  LMDBAPI_RETURN_IF_ERROR(Fields(type, plan));
  return plan;
}

absl::Status PlanBuilder::Fields(const Descriptor* type,
                                 MessageParsePlan* plan) {
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < type->field_count(); ++i)
    fields.push_back(type->field(i));
  std::sort(fields.begin(), fields.end(),
            [](const FieldDescriptor* a, const FieldDescriptor* b) {
              return a->number() < b->number();
            });
  plan->fields.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    LMDBAPI_RETURN_IF_ERROR(Field(fields[i], &plan->fields[i]));
    if (const auto* oneof = fields[i]->containing_oneof()) {
      plan->fields[i].oneof_bit =
          static_cast<int>(fields.size()) + oneof->index();
    }
  }
  plan->seen_bits = static_cast<int>(fields.size()) + type->oneof_decl_count();
  IndexNames(plan);
  return absl::OkStatus();
}

void PlanBuilder::IndexNames(MessageParsePlan* plan) {
  absl::flat_hash_set<std::string> ambiguous;
  for (size_t i = 0; i < plan->fields.size(); ++i) {
    for (const std::string* name :
         {&plan->fields[i].json_name, &plan->fields[i].proto_name}) {
      auto [it, inserted] = plan->by_name.emplace(*name, static_cast<int>(i));
      if (!inserted && it->second != static_cast<int>(i)) {
        ambiguous.insert(*name);
      }
    }
  }
  for (const std::string& name : ambiguous) plan->by_name.erase(name);
  plan->next_field_hint = ambiguous.empty();
}

absl::Status PlanBuilder::Field(const FieldDescriptor* field,
                                FieldParsePlan* plan) {
  plan->json_name = field->json_name();
  plan->proto_name = field->name();
  if (field->is_map()) {
    plan->shape = FieldParsePlan::Shape::kMap;
    plan->outer_tag_size =
        PutTag(field->number(), WireFormatLite::WIRETYPE_LENGTH_DELIMITED,
               plan->outer_tag);
    const Descriptor* entry = field->message_type();
    LMDBAPI_RETURN_IF_ERROR(Value(entry->map_key(), 1, &plan->map_key));
    return Value(entry->map_value(), 2, &plan->value);
  }
  if (field->is_packed()) {
    plan->shape = FieldParsePlan::Shape::kPacked;
    plan->outer_tag_size =
        PutTag(field->number(), WireFormatLite::WIRETYPE_LENGTH_DELIMITED,
               plan->outer_tag);
    return Value(field, 0, &plan->value);
  }
  plan->shape = field->is_repeated() ? FieldParsePlan::Shape::kRepeated
                                     : FieldParsePlan::Shape::kSingular;
  plan->value.skip_default = !field->is_repeated() && !field->has_presence();
  return Value(field, field->number(), &plan->value);
}

absl::Status PlanBuilder::Value(const FieldDescriptor* field, int number,
                                ValueParsePlan* plan) {
  if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
    LMDBAPI_RETURN_IF_ERROR(MessageValue(field->message_type(), plan));
  } else if (field->type() == FieldDescriptor::TYPE_ENUM) {
    plan->kind = Kind::kEnum;
    LMDBAPI_ASSIGN_OR_RETURN(plan->enum_plan, Enum(field->enum_type()));
  } else {
    plan->kind = ScalarKind(field->type());
  }
  if (number != 0)
    plan->tag_size = PutTag(number, WireTypeOf(plan->kind), plan->tag);
  return absl::OkStatus();
}

absl::Status PlanBuilder::MessageValue(const Descriptor* type,
                                       ValueParsePlan* plan) {
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") {
    plan->kind = Kind::kTimestamp;
  } else if (name == "google.protobuf.Duration") {
    plan->kind = Kind::kDuration;
  } else if (IsWrapper(name)) {
    plan->kind = Kind::kWrapper;
    ValueParsePlan* wrapped = &plans_->wrapped_.emplace_back();
    wrapped->skip_default = true;  // `value`, proto3 without presence
    LMDBAPI_RETURN_IF_ERROR(Value(type->FindFieldByNumber(1), 1, wrapped));
    plan->wrapped = wrapped;
  } else {
    plan->kind = Kind::kMessage;
    LMDBAPI_ASSIGN_OR_RETURN(plan->message, Message(type));
  }
  return absl::OkStatus();
}

absl::StatusOr<const EnumParsePlan*> PlanBuilder::Enum(
    const EnumDescriptor* type) {
  auto it = enums_.find(type);
  if (it != enums_.end()) return it->second;
  if (type->full_name() == "google.protobuf.NullValue") {
    return absl::UnimplementedError(
        "json_parser leaves google.protobuf.NullValue to protobuf");
  }
  EnumParsePlan* plan = &plans_->enums_.emplace_back();
  for (int i = 0; i < type->value_count(); ++i) {
    plan->by_name.emplace(type->value(i)->name(), type->value(i)->number());
  }
  enums_[type] = plan;
  return plan;
}

absl::StatusOr<std::unique_ptr<ParsePlans>> ParsePlans::Build(
    const Descriptor* type) {
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp" ||
      name == "google.protobuf.Duration" || IsWrapper(name)) {
    return absl::UnimplementedError(
        absl::StrCat("json_parser: ", name, " is not a JSON object"));
  }
  auto plans = std::unique_ptr<ParsePlans>(new ParsePlans());
  PlanBuilder builder(plans.get());
  LMDBAPI_ASSIGN_OR_RETURN(plans->root_, builder.Message(type));
  return plans;
}

}  // namespace lmdbapi::json
