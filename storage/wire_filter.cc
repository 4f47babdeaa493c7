#include "storage/wire_filter.h"

#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "json/wire_reader.h"  // header-only: no link to lmdbapi_json
#include "storage/wire_scalar.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;
using json::kLengthDelimited;

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

}  // namespace

std::optional<WireFilter> WireFilter::Compile(const Expr& expr) {
  WireFilter filter;
  if (expr.kind == Expr::Kind::kTrue || !filter.Compile(expr, &filter.root_)) {
    return std::nullopt;
  }
  filter.required_ = std::string(filter.RequiredValue(filter.root_));
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
      f->real_containing_oneof() != nullptr || WireTypeOf(f->type()) < 0 ||
      f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ||
      f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
    return false;
  }
  // A proto2 enum is closed: the parser moves a number it does not name to
  // the unknown fields, and the field reads as its default.
  if (f->type() == FieldDescriptor::TYPE_ENUM &&
      f->enum_type()->file()->syntax() !=
          google::protobuf::FileDescriptor::SYNTAX_PROTO3) {
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

absl::string_view WireFilter::RequiredValue(const Node& node) const {
  if (node.kind == Expr::Kind::kAnd) {  // any one child's: the longest
    absl::string_view longest;
    for (const Node& child : node.children) {
      absl::string_view value = RequiredValue(child);
      if (value.size() > longest.size()) longest = value;
    }
    return longest;
  }
  if (node.kind != Expr::Kind::kPredicate ||
      !std::holds_alternative<std::string>(node.value)) {
    return "";  // an OR or NOT may hold without any one value
  }
  const absl::string_view want = std::get<std::string>(node.value);
  const absl::string_view absent = fields_[node.slot].absent.text;
  switch (node.op) {
    case Op::kEq:
      return absent == want ? "" : want;
    case Op::kPrefix:
      return absl::StartsWith(absent, want) ? "" : want;
    default:
      return "";
  }
}

bool WireFilter::Read(absl::string_view bytes, Slot* slots) const {
  // Each tag's place depends on the field before it, so the record's cache
  // lines would be loaded one after the other; asked for at once here, they
  // load together (a full scan's CPU per record: -8 %, docs/BENCHMARKS.md).
  for (size_t at = 64; at < bytes.size(); at += 64) {
    __builtin_prefetch(bytes.data() + at);
  }
  return ReadListedFields(
      bytes, fields_, [&](size_t slot, uint32_t tag, json::WireReader& in) {
        const Field& field = fields_[slot];
        if (static_cast<int>(tag & 7) != WireTypeOf(field.type)) {
          return false;  // not as this filter expects: the parser decides
        }
        if ((tag & 7) == kLengthDelimited) {  // string, bytes
          return in.ReadLengthDelimited(&slots[slot].text);
        }
        uint64_t raw = 0;
        if (!ReadRawScalar(in, tag & 7, &raw)) return false;
        DecodeScalar(field.type, raw, &slots[slot].number,
                     &slots[slot].unsigned_number);
        return true;
      });
}

bool WireFilter::Compare(const Node& leaf, const Slot& slot) const {
  switch (leaf.value.index()) {
    case 0: {  // string, bytes
      const std::string& want = std::get<std::string>(leaf.value);
      if (leaf.op == Op::kPrefix) return absl::StartsWith(slot.text, want);
      return Satisfies(leaf.op, Compare3(slot.text, absl::string_view(want)));
    }
    case 1:
      return Satisfies(leaf.op,
                       Compare3(slot.number, std::get<int64_t>(leaf.value)));
    case 2:
      return Satisfies(leaf.op, Compare3(slot.unsigned_number,
                                         std::get<uint64_t>(leaf.value)));
    case 4:
      return Satisfies(leaf.op,
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
  if (!required_.empty() && !absl::StrContains(bytes, required_)) return false;
  Slot slots[kMaxFields];
  for (size_t i = 0; i < fields_.size(); ++i) slots[i] = fields_[i].absent;
  if (!Read(bytes, slots)) return std::nullopt;
  return Eval(root_, slots);
}

}  // namespace lmdbapi::storage
