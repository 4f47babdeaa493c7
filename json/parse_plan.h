// json_parser's tables of a message type, built once at JsonParser::Create:
// per message its fields by JSON name and by proto name, each field's tag
// bytes and kind, enums' names, and the nested messages' plans (shared by
// type, so recursive types are fine).
#ifndef LMDBAPI_JSON_PARSE_PLAN_H_
#define LMDBAPI_JSON_PARSE_PLAN_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::json {

// What a JSON value becomes on the wire.
enum class Kind : uint8_t {
  kInt32,
  kInt64,
  kUInt32,
  kUInt64,
  kSInt32,
  kSInt64,
  kFixed32,
  kFixed64,
  kSFixed32,
  kSFixed64,
  kFloat,
  kDouble,
  kBool,
  kString,
  kBytes,
  kEnum,
  kMessage,    // a JSON object
  kTimestamp,  // google.protobuf.Timestamp: an RFC 3339 string
  kDuration,   // google.protobuf.Duration: "1.5s"
  kWrapper,    // google.protobuf.*Value: the wrapped value itself
};

// An enum's numbers by name, aliases included (a proto3 enum takes any
// number too).
struct EnumParsePlan {
  absl::flat_hash_map<std::string, int32_t> by_name;
};

struct MessageParsePlan;

// One JSON value's way to the wire: the tag written before it (none for
// the elements of a packed array) and how to read and encode it.
struct ValueParsePlan {
  Kind kind = Kind::kInt32;
  uint8_t tag_size = 0;
  char tag[5] = {};
  const EnumParsePlan* enum_plan = nullptr;   // kEnum
  const MessageParsePlan* message = nullptr;  // kMessage
  const ValueParsePlan* wrapped = nullptr;    // kWrapper: its field 1
  // A proto3 scalar without presence (not repeated, not a map's key or
  // value): its default value is not written, as protobuf writes none, so
  // the bytes are what protobuf's serializer gives (storage/
  // canonical_record.h: a server stores such records as they arrive).
  bool skip_default = false;
};

struct FieldParsePlan {
  enum class Shape : uint8_t { kSingular, kRepeated, kPacked, kMap };
  Shape shape = Shape::kSingular;
  std::string json_name;
  std::string proto_name;
  // The value (singular), each element (repeated, packed: no tag) or each
  // map entry's value (field 2 of the entry).
  ValueParsePlan value;
  // kPacked, kMap: the field's own tag (length-delimited), written once per
  // array or per entry.
  uint8_t outer_tag_size = 0;
  char outer_tag[5] = {};
  ValueParsePlan map_key;  // kMap: field 1 of the entry
  // The bit of the field's oneof in a message's set of seen bits, or -1.
  int oneof_bit = -1;
};

struct MessageParsePlan {
  // By field number: the order protobuf prints them in, so the next key of
  // a printed object is usually the field after the last one.
  std::vector<FieldParsePlan> fields;
  // Index in `fields` by JSON name and by proto name (a name two fields
  // claim is left out: protobuf's choice is then not guessed).
  absl::flat_hash_map<std::string, int> by_name;
  // False when some name is claimed by two fields: then every key is looked
  // up in by_name, not first compared with the next field's names.
  bool next_field_hint = true;
  // fields.size() plus the number of oneofs: the seen bits of an object.
  int seen_bits = 0;
};

class ParsePlans {
 public:
  // UNIMPLEMENTED for the types json_parser leaves to protobuf: Any,
  // Struct, Value, ListValue, NullValue, FieldMask, Empty and proto2 types.
  static absl::StatusOr<std::unique_ptr<ParsePlans>> Build(
      const google::protobuf::Descriptor* type);

  const MessageParsePlan& root() const { return *root_; }

 private:
  friend class PlanBuilder;
  const MessageParsePlan* root_ = nullptr;
  // Deques: plans are referred to by address while more are added.
  std::deque<MessageParsePlan> messages_;
  std::deque<EnumParsePlan> enums_;
  std::deque<ValueParsePlan> wrapped_;
};

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_PARSE_PLAN_H_
