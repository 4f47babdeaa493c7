#include "storage/wire_filter.h"

#include <cstring>

#include "absl/strings/match.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Reads a varint at *p (before end); false when truncated or too long.
bool ReadVarint(const char*& p, const char* end, uint64_t* out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    uint8_t byte = static_cast<uint8_t>(*p++);
    value |= uint64_t{byte & 0x7F} << shift;
    if ((byte & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return false;
}

bool ReadFixed(const char*& p, const char* end, size_t size, uint64_t* out) {
  if (static_cast<size_t>(end - p) < size) return false;
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  }
  p += size;
  *out = value;
  return true;
}

// The wire type a singular field of `type` is written with, or -1 for the
// types this filter does not read.
int WireTypeOf(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
      return kLengthDelimited;
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_BOOL:
    case FieldDescriptor::TYPE_ENUM:
      return kVarint;
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return kFixed32;
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return kFixed64;
    default:
      return -1;
  }
}

// A raw varint or fixed value of `type` as the parser would store it.
void Decode(FieldDescriptor::Type type, uint64_t raw, int64_t* number,
            uint64_t* unsigned_number) {
  switch (type) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_ENUM:
      *number = static_cast<int32_t>(raw);
      break;
    case FieldDescriptor::TYPE_SINT32: {
      uint32_t z = static_cast<uint32_t>(raw);
      *number = static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
      break;
    }
    case FieldDescriptor::TYPE_SINT64:
      *number = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
      break;
    case FieldDescriptor::TYPE_SFIXED32:
      *number = static_cast<int32_t>(static_cast<uint32_t>(raw));
      break;
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      *unsigned_number = static_cast<uint32_t>(raw);
      break;
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      *unsigned_number = raw;
      break;
    case FieldDescriptor::TYPE_BOOL:
      *number = raw != 0;
      break;
    default:  // int64, sfixed64
      *number = static_cast<int64_t>(raw);
  }
}

// What the parser leaves in a field of `f`'s type that the bytes lack.
void SetDefault(const FieldDescriptor* f, int64_t* number,
                uint64_t* unsigned_number, absl::string_view* text) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      *text = f->default_value_string();
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      *number = f->default_value_int32();
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      *number = f->default_value_int64();
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      *number = f->default_value_enum()->number();
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      *unsigned_number = f->default_value_uint32();
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      *unsigned_number = f->default_value_uint64();
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      *number = f->default_value_bool();
      break;
    default:
      break;
  }
}

template <typename T>
int Compare3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool Holds(Op op, int c) {
  switch (op) {
    case Op::kEq:
      return c == 0;
    case Op::kNe:
      return c != 0;
    case Op::kLt:
      return c < 0;
    case Op::kLe:
      return c <= 0;
    case Op::kGt:
      return c > 0;
    case Op::kGe:
      return c >= 0;
    case Op::kPrefix:
      break;
  }
  return false;
}

}  // namespace

std::optional<WireFilter> WireFilter::Compile(const Expr& expr) {
  WireFilter filter;
  if (expr.kind == Expr::Kind::kTrue || !filter.Compile(expr, &filter.root_)) {
    return std::nullopt;
  }
  return filter;
}

bool WireFilter::Compile(const Expr& expr, Node* node) {
  node->kind = expr.kind;
  if (expr.kind != Expr::Kind::kPredicate) {
    node->children.resize(expr.children.size());
    for (size_t i = 0; i < expr.children.size(); ++i) {
      if (!Compile(expr.children[i], &node->children[i])) return false;
    }
    return expr.kind != Expr::Kind::kTrue;
  }
  const BoundPredicate& p = expr.predicate;
  const FieldDescriptor* f = p.field.field;
  if (!p.field.path.empty() || f->is_repeated() ||
      f->real_containing_oneof() != nullptr || WireTypeOf(f->type()) < 0) {
    return false;
  }
  size_t slot = 0;
  while (slot < fields_.size() && fields_[slot].number != f->number()) ++slot;
  if (slot == fields_.size()) {
    if (fields_.size() == kMaxFields) return false;
    Field field{f->number(), f->type(), {}};
    SetDefault(f, &field.absent.number, &field.absent.unsigned_number,
               &field.absent.text);
    fields_.push_back(field);
  }
  node->slot = slot;
  node->op = p.op;
  node->value = p.value;
  return true;
}

bool WireFilter::Read(absl::string_view bytes, Slot* slots) const {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    uint64_t tag;
    if (!ReadVarint(p, end, &tag)) return false;
    const uint32_t wire = tag & 7;
    const uint64_t number = tag >> 3;
    size_t slot = 0;
    while (slot < fields_.size() &&
           static_cast<uint64_t>(fields_[slot].number) != number) {
      ++slot;
    }
    const bool wanted = slot < fields_.size();
    if (wanted && static_cast<int>(wire) != WireTypeOf(fields_[slot].type)) {
      return false;  // not as this filter expects: the parser decides
    }
    uint64_t raw;
    switch (wire) {
      case kVarint:
        if (!ReadVarint(p, end, &raw)) return false;
        break;
      case kFixed64:
        if (!ReadFixed(p, end, 8, &raw)) return false;
        break;
      case kFixed32:
        if (!ReadFixed(p, end, 4, &raw)) return false;
        break;
      case kLengthDelimited:
        if (!ReadVarint(p, end, &raw) || raw > static_cast<uint64_t>(end - p)) {
          return false;
        }
        if (wanted) slots[slot].text = absl::string_view(p, raw);
        p += raw;
        continue;
      default:  // groups: the parser decides
        return false;
    }
    if (wanted) {
      Decode(fields_[slot].type, raw, &slots[slot].number,
             &slots[slot].unsigned_number);
    }
  }
  return true;
}

bool WireFilter::Compare(const Node& leaf, const Slot& slot) const {
  switch (leaf.value.index()) {
    case 0: {  // string, bytes
      const std::string& want = std::get<std::string>(leaf.value);
      if (leaf.op == Op::kPrefix) return absl::StartsWith(slot.text, want);
      return Holds(leaf.op, Compare3(slot.text, absl::string_view(want)));
    }
    case 1:
      return Holds(leaf.op,
                   Compare3(slot.number, std::get<int64_t>(leaf.value)));
    case 2:
      return Holds(leaf.op, Compare3(slot.unsigned_number,
                                     std::get<uint64_t>(leaf.value)));
    case 4:
      return Holds(leaf.op,
                   Compare3(slot.number != 0, std::get<bool>(leaf.value)));
  }
  return false;
}

bool WireFilter::Eval(const Node& node, const Slot* slots) const {
  switch (node.kind) {
    case Expr::Kind::kTrue:
      return true;
    case Expr::Kind::kPredicate:
      return Compare(node, slots[node.slot]);
    case Expr::Kind::kAnd:
      for (const Node& child : node.children) {
        if (!Eval(child, slots)) return false;
      }
      return true;
    case Expr::Kind::kOr:
      for (const Node& child : node.children) {
        if (Eval(child, slots)) return true;
      }
      return false;
    case Expr::Kind::kNot:
      return !Eval(node.children[0], slots);
  }
  return false;
}

std::optional<bool> WireFilter::Matches(absl::string_view bytes) const {
  Slot slots[kMaxFields];
  for (size_t i = 0; i < fields_.size(); ++i) slots[i] = fields_[i].absent;
  if (!Read(bytes, slots)) return std::nullopt;
  return Eval(root_, slots);
}

}  // namespace lmdbapi::storage
