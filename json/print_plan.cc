// Building print plans from descriptors: kinds, wire types, keys, enum
// names, and which types are left to protobuf.
#include "json/print_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "json/json_string.h"

namespace lmdbapi::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

ValueKind KindOf(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_DOUBLE:
      return ValueKind::kDouble;
    case FieldDescriptor::TYPE_FLOAT:
      return ValueKind::kFloat;
    case FieldDescriptor::TYPE_INT64:
      return ValueKind::kInt64;
    case FieldDescriptor::TYPE_UINT64:
      return ValueKind::kUint64;
    case FieldDescriptor::TYPE_INT32:
      return ValueKind::kInt32;
    case FieldDescriptor::TYPE_FIXED64:
      return ValueKind::kFixed64;
    case FieldDescriptor::TYPE_FIXED32:
      return ValueKind::kFixed32;
    case FieldDescriptor::TYPE_BOOL:
      return ValueKind::kBool;
    case FieldDescriptor::TYPE_STRING:
      return ValueKind::kString;
    case FieldDescriptor::TYPE_BYTES:
      return ValueKind::kBytes;
    case FieldDescriptor::TYPE_UINT32:
      return ValueKind::kUint32;
    case FieldDescriptor::TYPE_ENUM:
      return ValueKind::kEnum;
    case FieldDescriptor::TYPE_SFIXED32:
      return ValueKind::kSfixed32;
    case FieldDescriptor::TYPE_SFIXED64:
      return ValueKind::kSfixed64;
    case FieldDescriptor::TYPE_SINT32:
      return ValueKind::kSint32;
    case FieldDescriptor::TYPE_SINT64:
      return ValueKind::kSint64;
    default:
      return ValueKind::kMessage;  // TYPE_MESSAGE (groups: proto2).
  }
}

uint8_t WireTypeOf(ValueKind kind) {
  switch (kind) {
    case ValueKind::kDouble:
    case ValueKind::kFixed64:
    case ValueKind::kSfixed64:
      return 1;
    case ValueKind::kFloat:
    case ValueKind::kFixed32:
    case ValueKind::kSfixed32:
      return 5;
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kMessage:
      return 2;
    default:
      return 0;
  }
}

Special SpecialOf(const Descriptor* type) {
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") return Special::kTimestamp;
  if (name == "google.protobuf.Duration") return Special::kDuration;
  if (name == "google.protobuf.FieldMask") return Special::kFieldMask;
  static const char* const kWrappers[] = {
      "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
      "google.protobuf.Int64Value",  "google.protobuf.UInt64Value",
      "google.protobuf.Int32Value",  "google.protobuf.UInt32Value",
      "google.protobuf.BoolValue",   "google.protobuf.StringValue",
      "google.protobuf.BytesValue"};
  for (const char* wrapper : kWrappers) {
    if (name == wrapper) return Special::kWrapper;
  }
  return Special::kNone;
}

// Types whose JSON forms this printer does not write.
absl::Status CheckSupported(const Descriptor* type) {
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Any" || name == "google.protobuf.Struct" ||
      name == "google.protobuf.Value" || name == "google.protobuf.ListValue") {
    return absl::UnimplementedError(
        absl::StrCat(name, " is printed by protobuf, not json::JsonPrinter"));
  }
  if (type->file()->syntax() !=
      google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
    return absl::UnimplementedError(
        absl::StrCat(name, " is not proto3 (", type->file()->name(),
                     "): it is printed by protobuf, not json::JsonPrinter"));
  }
  return absl::OkStatus();
}

constexpr int kDenseNumbers = 1024;  // Field numbers looked up in a vector.

}  // namespace

EnumPlan::EnumPlan(const EnumDescriptor* type) {
  int32_t min = type->value(0)->number(), max = min;
  for (int i = 0; i < type->value_count(); ++i) {
    min = std::min(min, type->value(i)->number());
    max = std::max(max, type->value(i)->number());
  }
  const bool dense =
      static_cast<int64_t>(max) - min < 4 * type->value_count() + 64;
  if (dense) {
    min_ = min;
    dense_.resize(static_cast<size_t>(max - min) + 1);
  }
  for (int i = 0; i < type->value_count(); ++i) {  // The first name wins.
    const int32_t number = type->value(i)->number();
    std::string& name = dense ? dense_[number - min] : sparse_[number];
    if (!name.empty()) continue;
    name = absl::StrCat("\"", type->value(i)->name(), "\"");
  }
}

const std::string* EnumPlan::Find(int32_t number) const {
  if (!dense_.empty()) {
    const int64_t index = static_cast<int64_t>(number) - min_;
    if (index < 0 || index >= static_cast<int64_t>(dense_.size()))
      return nullptr;
    const std::string& name = dense_[index];
    return name.empty() ? nullptr : &name;
  }
  auto it = sparse_.find(number);
  return it == sparse_.end() ? nullptr : &it->second;
}

absl::StatusOr<const MessagePlan*> PlanSet::Build(const Descriptor* type) {
  auto it = messages_.find(type);
  if (it != messages_.end()) return it->second.get();  // Built, or being built.
  LMDBAPI_RETURN_IF_ERROR(CheckSupported(type));
  auto owned = std::make_unique<MessagePlan>();
  MessagePlan* plan = owned.get();
  messages_.emplace(type, std::move(owned));
  LMDBAPI_RETURN_IF_ERROR(Fill(type, plan));
  return plan;
}

absl::Status PlanSet::Fill(const Descriptor* type, MessagePlan* plan) {
  plan->special = SpecialOf(type);
  plan->oneof_count = type->real_oneof_decl_count();
  std::vector<const FieldDescriptor*> fields;
  for (int i = 0; i < type->field_count(); ++i)
    fields.push_back(type->field(i));
  std::sort(fields.begin(), fields.end(),
            [](auto* a, auto* b) { return a->number() < b->number(); });
  plan->fields.resize(fields.size());
  int dense_size = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    LMDBAPI_RETURN_IF_ERROR(FillField(fields[i], &plan->fields[i]));
    if (fields[i]->number() < kDenseNumbers)
      dense_size = fields[i]->number() + 1;
  }
  plan->dense.assign(dense_size, 0);
  for (size_t i = 0; i < fields.size(); ++i) {
    const int number = fields[i]->number();
    if (number < kDenseNumbers) {
      plan->dense[number] = static_cast<uint16_t>(i + 1);
    } else {
      plan->sparse[number] = static_cast<int>(i);
    }
  }
  return absl::OkStatus();
}

absl::Status PlanSet::FillField(const FieldDescriptor* field, FieldPlan* plan) {
  plan->number = field->number();
  plan->kind = KindOf(field->type());
  plan->wire_type = WireTypeOf(plan->kind);
  plan->repeated = field->is_repeated();
  plan->map = field->is_map();
  plan->packable = plan->repeated && plan->wire_type != 2;
  plan->presence = field->has_presence();
  if (field->real_containing_oneof() != nullptr) {
    plan->oneof = field->real_containing_oneof()->index();
  }
  AppendJsonString(field->json_name(), &plan->key);
  plan->key.push_back(':');
  if (plan->kind == ValueKind::kMessage) {
    LMDBAPI_ASSIGN_OR_RETURN(plan->message, Build(field->message_type()));
  }
  if (plan->kind == ValueKind::kEnum) {
    if (field->enum_type()->full_name() == "google.protobuf.NullValue") {
      return absl::UnimplementedError(absl::StrCat(
          field->full_name(),
          " is a NullValue: printed by protobuf, not json::JsonPrinter"));
    }
    plan->enum_plan = Enum(field->enum_type());
  }
  return absl::OkStatus();
}

const EnumPlan* PlanSet::Enum(const EnumDescriptor* type) {
  std::unique_ptr<EnumPlan>& plan = enums_[type];
  if (plan == nullptr) plan = std::make_unique<EnumPlan>(type);
  return plan.get();
}

}  // namespace lmdbapi::json
