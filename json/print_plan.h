// What json/'s printer knows of a message type, built once per type from
// its descriptor: per field number the JSON key (quoted, with its colon),
// the value kind and wire type, enum names, and the plans of nested types
// (shared, so recursive types make cycles of plans).
#ifndef LMDBAPI_JSON_PRINT_PLAN_H_
#define LMDBAPI_JSON_PRINT_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::json {

// A field's value type (protobuf's scalar types, and messages).
enum class ValueKind : uint8_t {
  kDouble,
  kFloat,
  kInt64,
  kUint64,
  kInt32,
  kUint32,
  kSint32,
  kSint64,
  kFixed32,
  kFixed64,
  kSfixed32,
  kSfixed64,
  kBool,
  kEnum,
  kString,
  kBytes,
  kMessage,
};

// Message types whose JSON form is not an object of their fields.
enum class Special : uint8_t {
  kNone,
  kTimestamp,
  kDuration,
  kWrapper,  // DoubleValue ... BytesValue: the bare value of field 1.
  kFieldMask,
};

// Enum value names by number, quoted ("\"RED\""); the first name of a
// number that has aliases, as protobuf prints.
class EnumPlan {
 public:
  explicit EnumPlan(const google::protobuf::EnumDescriptor* type);
  // nullptr for a number the enum does not name.
  const std::string* Find(int32_t number) const;

 private:
  int32_t min_ = 0;
  std::vector<std::string> dense_;  // number - min_ -> name ("" if none).
  absl::flat_hash_map<int32_t, std::string> sparse_;
};

struct MessagePlan;

struct FieldPlan {
  int number = 0;
  ValueKind kind = ValueKind::kInt32;
  uint8_t wire_type = 0;  // The wire type of one value.
  bool repeated = false;
  bool packable = false;  // Repeated scalar: also accepted packed.
  bool map = false;       // `message` is then the entry type.
  bool presence = false;  // Printed when set, even to its default.
  int oneof = -1;         // Index of its real oneof, or -1.
  std::string key;        // "\"jsonName\":"
  const MessagePlan* message = nullptr;
  const EnumPlan* enum_plan = nullptr;

  // Whether a value of this field may come with `wire_type`; other wire
  // types make an unknown field, as in protobuf's parser.
  bool Accepts(uint32_t wire) const {
    return wire == wire_type || (packable && wire == 2);
  }
};

struct MessagePlan {
  Special special = Special::kNone;
  int oneof_count = 0;
  std::vector<FieldPlan> fields;  // By number.
  // nullptr for a number the type does not have.
  const FieldPlan* Find(int number) const {
    if (static_cast<size_t>(number) < dense.size()) {
      int index = dense[number];
      return index == 0 ? nullptr : &fields[index - 1];
    }
    if (sparse.empty()) return nullptr;
    auto it = sparse.find(number);
    return it == sparse.end() ? nullptr : &fields[it->second];
  }
  std::vector<uint16_t> dense;  // Number -> index in fields + 1 (0: none).
  absl::flat_hash_map<int, int> sparse;  // Numbers past `dense`.
};

// The plans of a type and of every type it reaches, owned together.
class PlanSet {
 public:
  // The plan of `type`, built with those of the types it reaches.
  // UNIMPLEMENTED for a type (at any depth) the printer leaves to protobuf:
  // Any, Struct, Value, ListValue, NullValue, and proto2 files.
  absl::StatusOr<const MessagePlan*> Build(
      const google::protobuf::Descriptor* type);

 private:
  absl::Status Fill(const google::protobuf::Descriptor* type,
                    MessagePlan* plan);
  absl::Status FillField(const google::protobuf::FieldDescriptor* field,
                         FieldPlan* plan);
  const EnumPlan* Enum(const google::protobuf::EnumDescriptor* type);

  absl::flat_hash_map<const google::protobuf::Descriptor*,
                      std::unique_ptr<MessagePlan>>
      messages_;
  absl::flat_hash_map<const google::protobuf::EnumDescriptor*,
                      std::unique_ptr<EnumPlan>>
      enums_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_PRINT_PLAN_H_
