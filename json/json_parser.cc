// JsonParser: one JSON object to wire bytes in one pass over the text,
// following the tables of json/parse_plan.h.
#include "json/json_parser.h"

#include <cstring>
#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "json/base64_decode.h"
#include "json/json_scanner.h"
#include "json/parse_number.h"
#include "json/parse_plan.h"
#include "json/parse_time.h"
#include "json/wire_writer.h"

namespace lmdbapi::json {

struct JsonParser::Plan {
  std::unique_ptr<ParsePlans> plans;
};

namespace {

// Objects and arrays nested deeper are refused (protobuf refuses from 100).
constexpr int kMaxDepth = 64;

const IntRange& RangeOf(Kind kind) {
  switch (kind) {
    case Kind::kInt32:
    case Kind::kSInt32:
    case Kind::kSFixed32:
    case Kind::kEnum:
      return kInt32Range;
    case Kind::kInt64:
    case Kind::kSInt64:
    case Kind::kSFixed64:
      return kInt64Range;
    case Kind::kUInt32:
    case Kind::kFixed32:
      return kUInt32Range;
    default:
      return kUInt64Range;
  }
}

// Whether `key` is `name`: field names are short, and memcmp's call costs
// more than comparing them here.
inline bool SameName(absl::string_view key, const std::string& name) {
  if (key.size() != name.size()) return false;
  const char* a = key.data();
  const char* b = name.data();
  size_t n = key.size();
  for (; n >= 8; n -= 8, a += 8, b += 8) {
    if (absl::little_endian::Load64(a) != absl::little_endian::Load64(b)) {
      return false;
    }
  }
  for (; n > 0; --n) {
    if (*a++ != *b++) return false;
  }
  return true;
}

// The fields (and oneofs) an object has given so far.
class SeenBits {
 public:
  explicit SeenBits(int bits) : words_((bits + 63) / 64, 0) {}
  // Sets `bit`; false when it was set already.
  bool Set(int bit) {
    uint64_t mask = uint64_t{1} << (bit & 63);
    uint64_t& word = words_[bit >> 6];
    if (word & mask) return false;
    word |= mask;
    return true;
  }

 private:
  absl::InlinedVector<uint64_t, 2> words_;
};

class Parser {
 public:
  Parser(absl::string_view json, std::string* out)
      : in_(json), out_(out, json.size()) {}

  absl::Status Run(const MessageParsePlan& root);

 private:
  bool Fail(const char* why) {
    if (why_ == nullptr) why_ = why;
    return false;
  }
  bool Object(const MessageParsePlan& plan, int depth);
  bool Member(const MessageParsePlan& plan, int* next, SeenBits* seen,
              int depth);
  const FieldParsePlan* Lookup(const MessageParsePlan& plan,
                               absl::string_view key, int* next);
  bool FieldValue(const FieldParsePlan& field, int depth);
  bool Array(const FieldParsePlan& field, int depth);
  bool PackedArray(const FieldParsePlan& field, int depth);
  bool Elements(const ValueParsePlan& value, int depth);
  bool Map(const FieldParsePlan& field, int depth);
  bool MapEntry(const FieldParsePlan& field,
                absl::flat_hash_set<std::string>* keys, int depth);
  bool MapKey(const ValueParsePlan& key, absl::string_view text);
  bool Value(const ValueParsePlan& value, int depth);
  bool Integer(const ValueParsePlan& value);
  bool Floating(const ValueParsePlan& value);
  bool Bool(const ValueParsePlan& value);
  bool String(const ValueParsePlan& value);
  bool Bytes(const ValueParsePlan& value);
  bool Enum(const ValueParsePlan& value);
  bool Time(const ValueParsePlan& value);
  bool Nested(const ValueParsePlan& value, int depth);
  bool Wrapper(const ValueParsePlan& value, int depth);
  void Tag(const ValueParsePlan& value) {
    if (value.tag_size != 0) out_.Bytes(value.tag, value.tag_size);
  }
  void WriteInteger(Kind kind, uint64_t bits);

  JsonCursor in_;
  WireWriter out_;
  std::string scratch_;  // strings with escapes, unescaped
  const char* why_ = nullptr;
};

absl::Status Parser::Run(const MessageParsePlan& root) {
  bool ok = Object(root, 1) && (in_.AtEnd() || Fail("text after the object"));
  out_.Finish();
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("json_parser: ", why_ == nullptr ? "malformed JSON" : why_,
                   " (at byte ", in_.offset(), ")"));
}

bool Parser::Object(const MessageParsePlan& plan, int depth) {
  if (depth > kMaxDepth) return Fail("nested too deep");
  if (!in_.Consume('{')) return Fail("expected an object");
  if (in_.Consume('}')) return true;
  SeenBits seen(plan.seen_bits);
  int next = 0;
  do {
    if (!Member(plan, &next, &seen, depth)) return false;
  } while (in_.Consume(','));
  return in_.Consume('}') || Fail("expected ',' or '}'");
}

// One "name": value of an object. A null value leaves the field unset (as
// protobuf does for every kind of field this parser handles).
bool Parser::Member(const MessageParsePlan& plan, int* next, SeenBits* seen,
                    int depth) {
  absl::string_view key;
  if (!in_.ReadString(&key, &scratch_)) return Fail("expected a field name");
  const FieldParsePlan* field = Lookup(plan, key, next);
  if (field == nullptr) return Fail("unknown field");
  if (!seen->Set(static_cast<int>(field - plan.fields.data()))) {
    return Fail("a field given twice");
  }
  if (field->oneof_bit >= 0 && !seen->Set(field->oneof_bit)) {
    return Fail("two fields of one oneof");
  }
  if (!in_.Consume(':')) return Fail("expected ':'");
  if (in_.Peek() == 'n') return in_.ConsumeLiteral("null") || Fail("bad null");
  return FieldValue(*field, depth);
}

// Protobuf prints fields by number, so the key is first compared with the
// names of the field after the last one found.
const FieldParsePlan* Parser::Lookup(const MessageParsePlan& plan,
                                     absl::string_view key, int* next) {
  if (plan.next_field_hint && static_cast<size_t>(*next) < plan.fields.size()) {
    const FieldParsePlan& field = plan.fields[*next];
    if (SameName(key, field.json_name) || SameName(key, field.proto_name)) {
      ++*next;
      return &field;
    }
  }
  auto it = plan.by_name.find(key);
  if (it == plan.by_name.end()) return nullptr;
  *next = it->second + 1;
  return &plan.fields[it->second];
}

bool Parser::FieldValue(const FieldParsePlan& field, int depth) {
  switch (field.shape) {
    case FieldParsePlan::Shape::kSingular:
      return Value(field.value, depth);
    case FieldParsePlan::Shape::kRepeated:
      return Array(field, depth);
    case FieldParsePlan::Shape::kPacked:
      return PackedArray(field, depth);
    case FieldParsePlan::Shape::kMap:
      return Map(field, depth);
  }
  return false;
}

// Repeated fields take arrays only (protobuf also takes a lone value, and
// skips null elements; those are left to it).
bool Parser::Array(const FieldParsePlan& field, int depth) {
  if (!in_.Consume('[')) return Fail("expected an array");
  if (in_.Consume(']')) return true;
  return Elements(field.value, depth + 1);
}

bool Parser::PackedArray(const FieldParsePlan& field, int depth) {
  if (!in_.Consume('[')) return Fail("expected an array");
  if (in_.Consume(']')) return true;
  out_.Bytes(field.outer_tag, field.outer_tag_size);
  size_t start = out_.OpenLength();
  if (!Elements(field.value, depth + 1)) return false;
  out_.CloseLength(start);
  return true;
}

// The elements of a non-empty array, after its '['.
bool Parser::Elements(const ValueParsePlan& value, int depth) {
  if (depth > kMaxDepth) return Fail("nested too deep");
  do {
    if (!Value(value, depth)) return false;
  } while (in_.Consume(','));
  return in_.Consume(']') || Fail("expected ',' or ']'");
}

bool Parser::Map(const FieldParsePlan& field, int depth) {
  if (depth + 1 > kMaxDepth) return Fail("nested too deep");
  if (!in_.Consume('{')) return Fail("expected an object for a map");
  if (in_.Consume('}')) return true;
  absl::flat_hash_set<std::string> keys;  // protobuf refuses a repeated key
  do {
    if (!MapEntry(field, &keys, depth + 1)) return false;
  } while (in_.Consume(','));
  return in_.Consume('}') || Fail("expected ',' or '}'");
}

bool Parser::MapEntry(const FieldParsePlan& field,
                      absl::flat_hash_set<std::string>* keys, int depth) {
  absl::string_view key;
  if (!in_.ReadString(&key, &scratch_)) return Fail("expected a map key");
  out_.Bytes(field.outer_tag, field.outer_tag_size);
  size_t start = out_.OpenLength();
  if (!MapKey(field.map_key, key)) return false;
  // Keys compared as values ("1" and "01" are one key): stricter than
  // protobuf, which may compare the text.
  if (!keys->emplace(out_.Since(start)).second) return Fail("a repeated key");
  if (!in_.Consume(':')) return Fail("expected ':'");
  if (!Value(field.value, depth)) return false;  // null too is refused
  out_.CloseLength(start);
  return true;
}

bool Parser::MapKey(const ValueParsePlan& key, absl::string_view text) {
  Tag(key);
  if (key.kind == Kind::kString) {
    out_.Varint(text.size());
    out_.Bytes(text.data(), text.size());
    return true;
  }
  if (key.kind == Kind::kBool) {
    if (text != "true" && text != "false") return Fail("a bad bool map key");
    out_.Byte(text == "true" ? 1 : 0);
    return true;
  }
  uint64_t bits;
  if (!QuotedToInteger(text, RangeOf(key.kind), &bits)) {
    return Fail("a bad integer map key");
  }
  WriteInteger(key.kind, bits);
  return true;
}

bool Parser::Value(const ValueParsePlan& value, int depth) {
  switch (value.kind) {
    case Kind::kFloat:
    case Kind::kDouble:
      return Floating(value);
    case Kind::kBool:
      return Bool(value);
    case Kind::kString:
      return String(value);
    case Kind::kBytes:
      return Bytes(value);
    case Kind::kEnum:
      return Enum(value);
    case Kind::kMessage:
      return Nested(value, depth);
    case Kind::kTimestamp:
    case Kind::kDuration:
      return Time(value);
    case Kind::kWrapper:
      return Wrapper(value, depth);
    default:
      return Integer(value);
  }
}

bool Parser::Integer(const ValueParsePlan& value) {
  uint64_t bits;
  const IntRange& range = RangeOf(value.kind);
  if (in_.Peek() == '"') {
    absl::string_view text;
    if (!in_.ReadString(&text, &scratch_) ||
        !QuotedToInteger(text, range, &bits)) {
      return Fail("a bad quoted integer");
    }
  } else {
    NumberToken token;
    if (!in_.ReadNumber(&token) || !TokenToInteger(token, range, &bits)) {
      return Fail("a bad integer");
    }
  }
  if (value.skip_default && bits == 0) return true;
  Tag(value);
  WriteInteger(value.kind, bits);
  return true;
}

void Parser::WriteInteger(Kind kind, uint64_t bits) {
  switch (kind) {
    case Kind::kSInt32: {
      uint32_t n = static_cast<uint32_t>(bits);
      out_.Varint((n << 1) ^ (0u - (n >> 31)));
      return;
    }
    case Kind::kSInt64:
      out_.Varint((bits << 1) ^ (uint64_t{0} - (bits >> 63)));
      return;
    case Kind::kFixed32:
    case Kind::kSFixed32:
      out_.Fixed32(static_cast<uint32_t>(bits));
      return;
    case Kind::kFixed64:
    case Kind::kSFixed64:
      out_.Fixed64(bits);
      return;
    default:  // int32 and enums are sign-extended to 64 bits, as protobuf
      out_.Varint(bits);
      return;
  }
}

bool Parser::Floating(const ValueParsePlan& value) {
  bool is_float = value.kind == Kind::kFloat;
  double d = 0;
  float f = 0;
  bool ok;
  if (in_.Peek() == '"') {
    absl::string_view text;
    ok = in_.ReadString(&text, &scratch_) &&
         (is_float ? QuotedToFloat(text, &f) : QuotedToDouble(text, &d));
  } else {
    NumberToken token;
    ok = in_.ReadNumber(&token) &&
         (is_float ? TokenToFloat(token, &f) : TokenToDouble(token, &d));
  }
  if (!ok) return Fail("a bad floating-point number");
  // Protobuf writes a value whose bits are not all 0 (-0.0 too).
  if (is_float) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    if (value.skip_default && bits == 0) return true;
    Tag(value);
    out_.Fixed32(bits);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    if (value.skip_default && bits == 0) return true;
    Tag(value);
    out_.Fixed64(bits);
  }
  return true;
}

bool Parser::Bool(const ValueParsePlan& value) {
  bool b;
  char c = in_.Peek();
  if (c == 't' && in_.ConsumeLiteral("true")) {
    b = true;
  } else if (c == 'f' && in_.ConsumeLiteral("false")) {
    b = false;
  } else {
    absl::string_view text;  // protobuf takes "true" and "false" too
    if (c != '"' || !in_.ReadString(&text, &scratch_) ||
        (text != "true" && text != "false")) {
      return Fail("a bad bool");
    }
    b = text == "true";
  }
  if (value.skip_default && !b) return true;
  Tag(value);
  out_.Byte(b ? 1 : 0);
  return true;
}

bool Parser::String(const ValueParsePlan& value) {
  absl::string_view text;
  if (!in_.ReadString(&text, &scratch_)) return Fail("a bad string");
  if (value.skip_default && text.empty()) return true;
  Tag(value);
  out_.Varint(text.size());
  out_.Bytes(text.data(), text.size());
  return true;
}

bool Parser::Bytes(const ValueParsePlan& value) {
  absl::string_view text;
  size_t size;
  if (!in_.ReadString(&text, &scratch_) || !Base64DecodedSize(text, &size)) {
    return Fail("bad base64");
  }
  if (value.skip_default && text.empty()) return true;
  Tag(value);
  out_.Varint(size);
  return Base64Decode(text, out_.Append(size)) || Fail("bad base64");
}

// By name, or by number (unquoted; protobuf also takes a known number in
// quotes, left to it).
bool Parser::Enum(const ValueParsePlan& value) {
  const EnumParsePlan& plan = *value.enum_plan;
  uint64_t bits;
  if (in_.Peek() == '"') {
    absl::string_view name;
    if (!in_.ReadString(&name, &scratch_)) return Fail("a bad enum name");
    auto it = plan.by_name.find(name);
    if (it == plan.by_name.end()) return Fail("an unknown enum name");
    bits = static_cast<uint64_t>(static_cast<int64_t>(it->second));
  } else {
    NumberToken token;
    if (!in_.ReadNumber(&token) || !TokenToInteger(token, kInt32Range, &bits)) {
      return Fail("a bad enum number");
    }
  }
  if (value.skip_default && bits == 0) return true;
  Tag(value);
  out_.Varint(bits);
  return true;
}

// A Timestamp or a Duration: seconds (field 1) and nanos (field 2).
bool Parser::Time(const ValueParsePlan& value) {
  absl::string_view text;
  int64_t seconds;
  int32_t nanos;
  if (!in_.ReadString(&text, &scratch_) ||
      !(value.kind == Kind::kTimestamp
            ? ParseTimestamp(text, &seconds, &nanos)
            : ParseDuration(text, &seconds, &nanos))) {
    return Fail("a bad timestamp or duration");
  }
  uint64_t s = static_cast<uint64_t>(seconds);
  uint64_t n = static_cast<uint64_t>(static_cast<int64_t>(nanos));
  size_t size =
      (s != 0 ? 1 + VarintSize(s) : 0) + (n != 0 ? 1 + VarintSize(n) : 0);
  Tag(value);
  out_.Varint(size);
  if (s != 0) {
    out_.Byte(0x08);
    out_.Varint(s);
  }
  if (n != 0) {
    out_.Byte(0x10);
    out_.Varint(n);
  }
  return true;
}

bool Parser::Nested(const ValueParsePlan& value, int depth) {
  Tag(value);
  size_t start = out_.OpenLength();
  if (!Object(*value.message, depth + 1)) return false;
  out_.CloseLength(start);
  return true;
}

// A wrapper's JSON is the wrapped value itself (protobuf also takes
// {"value": ...}; left to it).
bool Parser::Wrapper(const ValueParsePlan& value, int depth) {
  Tag(value);
  size_t start = out_.OpenLength();
  if (!Value(*value.wrapped, depth + 1)) return false;
  out_.CloseLength(start);
  return true;
}

}  // namespace

JsonParser::JsonParser(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
JsonParser::~JsonParser() = default;

absl::StatusOr<std::unique_ptr<JsonParser>> JsonParser::Create(
    const google::protobuf::Descriptor* type) {
  auto plan = std::make_unique<Plan>();
  LMDBAPI_ASSIGN_OR_RETURN(plan->plans, ParsePlans::Build(type));
  return std::unique_ptr<JsonParser>(new JsonParser(std::move(plan)));
}

absl::Status JsonParser::Parse(absl::string_view json, std::string* out) const {
  Parser parser(json, out);
  return parser.Run(plan_->plans->root());
}

}  // namespace lmdbapi::json
