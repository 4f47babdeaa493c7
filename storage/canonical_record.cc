#include "storage/canonical_record.h"

#include <algorithm>
#include <cstring>

#include "google/protobuf/stubs/common.h"  // internal::IsStructurallyValidUTF8
#include "json/wire_reader.h"  // header-only: no link to lmdbapi_json
#include "json/wire_writer.h"  // header-only too (VarintSize)
#include "storage/wire_scalar.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

constexpr uint64_t kMax32 = 0xffffffffu;

// The UTF-8 check protobuf's parser makes of a proto3 string (the same
// function, so the verdicts agree), after a look for any byte that is not
// ASCII, eight at a time: most strings have none, and need no more.
bool ValidUtf8(absl::string_view text) {
  constexpr uint64_t kHighBits = 0x8080808080808080u;
  size_t i = 0;
  uint64_t high = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    high |= word & kHighBits;
  }
  for (; i < text.size(); ++i) high |= static_cast<unsigned char>(text[i]);
  return (high & kHighBits) == 0 ||
         google::protobuf::internal::IsStructurallyValidUTF8(
             text.data(), static_cast<int>(text.size()));
}

}  // namespace

// Reads varints (and lengths) only in their shortest form; fixed values as
// protobuf does.
class CanonicalRecord::Cursor {
 public:
  explicit Cursor(absl::string_view bytes) : in_(bytes) {}

  bool done() const { return in_.done(); }

  // Of the fewest bytes its value needs, and a tenth byte at most 1 (no
  // bits past 64).
  bool Varint(uint64_t* value) {
    const char* start = in_.position();
    if (!in_.ReadVarint(value)) return false;
    const auto size = in_.position() - start;
    return size == 1 ||
           (static_cast<size_t>(size) == json::VarintSize(*value) &&
            (size < 10 || static_cast<unsigned char>(start[9]) <= 1));
  }

  bool Fixed32(uint64_t* value) {
    uint32_t bits;
    if (!in_.ReadFixed32(&bits)) return false;
    *value = bits;
    return true;
  }

  bool Fixed64(uint64_t* value) { return in_.ReadFixed64(value); }

  bool Bytes(absl::string_view* payload) {
    const char* start = in_.position();
    return in_.ReadLengthDelimited(payload) &&
           static_cast<size_t>(payload->data() - start) ==
               json::VarintSize(payload->size());
  }

 private:
  json::WireReader in_;
};

std::unique_ptr<const CanonicalRecord> CanonicalRecord::Compile(
    const Descriptor* type) {
  std::unique_ptr<CanonicalRecord> canonical(new CanonicalRecord());
  if (canonical->CompileNode(type, 0) < 0) canonical->nodes_.clear();
  return canonical;
}

int CanonicalRecord::CompileNode(const Descriptor* type, int depth) {
  if (depth > kMaxDepth ||
      type->file()->syntax() != FileDescriptor::SYNTAX_PROTO3 ||
      type->extension_range_count() > 0) {
    return -1;
  }
  const int at = static_cast<int>(nodes_.size());
  nodes_.emplace_back();
  std::vector<Field> fields;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (f->is_map()) return -1;
    Field field;
    if (const auto* oneof = f->real_containing_oneof(); oneof != nullptr) {
      if (oneof->index() >= 64) return -1;
      field.oneof = oneof->index();
    }
    field.number = static_cast<uint32_t>(f->number());
    field.presence = f->has_presence();
    field.repeated = f->is_repeated();
    field.packed = f->is_packed();
    switch (f->type()) {
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_SINT64:
        field.kind = Kind::kVarint64;
        break;
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_ENUM:
        field.kind = Kind::kInt32;
        break;
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_SINT32:
        field.kind = Kind::kUint32;
        break;
      case FieldDescriptor::TYPE_BOOL:
        field.kind = Kind::kBool;
        break;
      case FieldDescriptor::TYPE_FIXED32:
      case FieldDescriptor::TYPE_SFIXED32:
      case FieldDescriptor::TYPE_FLOAT:
        field.kind = Kind::kFixed32;
        break;
      case FieldDescriptor::TYPE_FIXED64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_DOUBLE:
        field.kind = Kind::kFixed64;
        break;
      case FieldDescriptor::TYPE_STRING:
        field.kind = Kind::kString;
        break;
      case FieldDescriptor::TYPE_BYTES:
        field.kind = Kind::kBytes;
        break;
      case FieldDescriptor::TYPE_MESSAGE:
        field.kind = Kind::kMessage;
        field.message = CompileNode(f->message_type(), depth + 1);
        if (field.message < 0) return -1;
        break;
      default:  // a group
        return -1;
    }
    field.wire_type = static_cast<uint32_t>(field.kind == Kind::kMessage
                                                ? json::kLengthDelimited
                                                : WireTypeOf(f->type()));
    fields.push_back(field);
  }
  std::sort(fields.begin(), fields.end(),
            [](const Field& a, const Field& b) { return a.number < b.number; });
  nodes_[at].fields = std::move(fields);  // nodes_ grew while compiling
  return at;
}

bool CanonicalRecord::Check(absl::string_view bytes) const {
  return !nodes_.empty() && CheckNode(bytes, nodes_[0]);
}

bool CanonicalRecord::CheckNode(absl::string_view bytes,
                                const Node& node) const {
  Cursor in(bytes);
  size_t next = 0;      // fields before it are done
  uint32_t last = 0;    // the number of the field read last
  uint64_t oneofs = 0;  // the oneofs a member of which was read
  while (!in.done()) {
    uint64_t tag;
    if (!in.Varint(&tag) || tag > kMax32 || (tag >> 3) == 0) return false;
    const auto number = static_cast<uint32_t>(tag >> 3);
    if (number == last) {  // the next element of a repeated field
      const Field& field = node.fields[next - 1];
      if (!field.repeated || field.packed) return false;
    } else {  // a later field than the last, and a known one
      while (next < node.fields.size() && node.fields[next].number < number) {
        ++next;
      }
      if (next == node.fields.size() || node.fields[next].number != number) {
        return false;
      }
      ++next;
      last = number;
      if (const int oneof = node.fields[next - 1].oneof; oneof >= 0) {
        if ((oneofs >> oneof) & 1) return false;
        oneofs |= uint64_t{1} << oneof;
      }
    }
    if (!CheckOccurrence(in, static_cast<uint32_t>(tag & 7),
                         node.fields[next - 1])) {
      return false;
    }
  }
  return true;
}

bool CanonicalRecord::CheckOccurrence(Cursor& in, uint32_t wire_type,
                                      const Field& field) const {
  if (field.packed) {
    absl::string_view run;
    if (wire_type != json::kLengthDelimited || !in.Bytes(&run) || run.empty()) {
      return false;
    }
    Cursor values(run);
    while (!values.done()) {
      if (!CheckValue(values, field, false)) return false;
    }
    return true;
  }
  return wire_type == field.wire_type &&
         CheckValue(in, field, !field.presence && !field.repeated);
}

// `nonzero`: a proto3 field without presence, written only when not its
// default.
bool CanonicalRecord::CheckValue(Cursor& in, const Field& field,
                                 bool nonzero) const {
  uint64_t raw = 0;
  absl::string_view payload;
  switch (field.kind) {
    case Kind::kVarint64:
      return in.Varint(&raw) && (!nonzero || raw != 0);
    case Kind::kInt32:
      return in.Varint(&raw) &&
             raw == static_cast<uint64_t>(
                        static_cast<int64_t>(static_cast<int32_t>(raw))) &&
             (!nonzero || raw != 0);
    case Kind::kUint32:
      return in.Varint(&raw) && raw <= kMax32 && (!nonzero || raw != 0);
    case Kind::kBool:
      return in.Varint(&raw) && raw <= 1 && (!nonzero || raw == 1);
    case Kind::kFixed32:  // a float's -0.0 too: its bits are not 0
      return in.Fixed32(&raw) && (!nonzero || raw != 0);
    case Kind::kFixed64:
      return in.Fixed64(&raw) && (!nonzero || raw != 0);
    case Kind::kString:
      return in.Bytes(&payload) && (!nonzero || !payload.empty()) &&
             ValidUtf8(payload);
    case Kind::kBytes:
      return in.Bytes(&payload) && (!nonzero || !payload.empty());
    case Kind::kMessage:
      return in.Bytes(&payload) &&
             CheckNode(payload, nodes_[static_cast<size_t>(field.message)]);
  }
  return false;
}

}  // namespace lmdbapi::storage
