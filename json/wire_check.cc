#include "json/wire_check.h"

#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "json/json_string.h"
#include "json/wire_reader.h"

namespace lmdbapi::json {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Whether `type`, or a message it holds, has a required field (protobuf's
// parse then also checks that they are set).
bool HoldsRequired(const Descriptor* type,
                   absl::flat_hash_set<const Descriptor*>* seen) {
  if (!seen->insert(type).second) return false;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (f->is_required()) return true;
    if (f->message_type() != nullptr &&
        HoldsRequired(f->message_type(), seen)) {
      return true;
    }
  }
  return false;
}

// A packed repeated scalar's payload: whole elements only.
bool PackedParses(absl::string_view payload, const FieldDescriptor* f) {
  switch (FieldDescriptor::TypeToCppType(f->type())) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return true;  // not packable: an unknown field
    default:
      break;
  }
  switch (f->type()) {
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_FLOAT:
      return payload.size() % 4 == 0;
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_DOUBLE:
      return payload.size() % 8 == 0;
    default: {  // varints
      WireReader reader(payload);
      uint64_t value;
      while (!reader.done()) {
        if (!reader.ReadVarint(&value)) return false;
      }
      return true;
    }
  }
}

}  // namespace

WireCheck::WireCheck(const Descriptor* type) : type_(type) {
  absl::flat_hash_set<const Descriptor*> seen;
  usable_ = !HoldsRequired(type, &seen);
}

bool WireCheck::CertainlyParses(absl::string_view wire) const {
  return usable_ && Message(wire, type_, 0);
}

bool WireCheck::Message(absl::string_view wire, const Descriptor* type,
                        int depth) const {
  const bool proto3 = type->file()->syntax() == FileDescriptor::SYNTAX_PROTO3;
  WireReader reader(wire);
  while (!reader.done()) {
    uint32_t tag;
    if (!reader.ReadTag(&tag) || (tag >> 3) == 0) return false;
    const uint32_t wire_type = tag & 7;
    if (wire_type == kStartGroup || wire_type == kEndGroup) {
      return false;  // groups: protobuf decides
    }
    const FieldDescriptor* f = type->FindFieldByNumber(tag >> 3);
    if (wire_type != kLengthDelimited || f == nullptr) {
      if (!reader.SkipField(tag, depth)) return false;
      continue;
    }
    absl::string_view payload;
    if (!reader.ReadLengthDelimited(&payload)) return false;
    switch (f->type()) {
      case FieldDescriptor::TYPE_STRING:
        if (proto3 && !IsValidUtf8(payload)) return false;
        break;
      case FieldDescriptor::TYPE_BYTES:
        break;
      case FieldDescriptor::TYPE_MESSAGE:
        if (depth + 1 >= kMaxParseDepth ||
            !Message(payload, f->message_type(), depth + 1)) {
          return false;
        }
        break;
      case FieldDescriptor::TYPE_GROUP:
        return false;
      default:  // a scalar: packed when repeated, else an unknown field
        if (f->is_repeated() && !PackedParses(payload, f)) return false;
    }
  }
  return true;
}

}  // namespace lmdbapi::json
