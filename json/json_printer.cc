// The printer's walk: each message's fields are read into a list of
// occurrences (validated as protobuf's parser validates them), put in the
// order and with the values a parse and reserialization would give them
// (field number order, the last scalar, merged messages, one oneof member)
// when the bytes are not already so, then printed.
#include "json/json_printer.h"

#include <algorithm>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "json/base64.h"
#include "json/field_mask_path.h"
#include "json/json_string.h"
#include "json/json_time.h"
#include "json/print_plan.h"
#include "json/scalar_json.h"
#include "json/wire_reader.h"

namespace lmdbapi::json {

struct JsonPrinter::Plan {
  PlanSet plans;
  const MessagePlan* root = nullptr;
};

namespace {

// Nesting of objects protobuf's printer allows (its recursion limit).
constexpr int kMaxPrintDepth = 64;

// One value of a known field as the wire holds it.
struct Occurrence {
  const FieldPlan* field;
  uint32_t wire_type;
  const char* data;  // A length-delimited value's bytes.
  uint64_t value;    // A varint's or fixed value's bits, or data's size.

  absl::string_view payload() const {
    return absl::string_view(data, static_cast<size_t>(value));
  }
};
using Occurrences = absl::InlinedVector<Occurrence, 16>;

struct Depth {
  int print = 0;  // Objects of messages around (not well-known types').
  int parse = 0;  // Messages around, as protobuf's parser counts them.
};

struct ScanResult {
  bool canonical = true;  // In number order, each singular field once.
  bool unknown = false;   // Held unknown fields.
};

absl::Status DataLoss(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("not a valid protobuf serialization: ", what));
}

bool ReadValue(WireReader* in, Occurrence* occurrence) {
  uint32_t fixed32;
  absl::string_view payload;
  switch (occurrence->wire_type) {
    case kVarint:
      return in->ReadVarint(&occurrence->value);
    case kFixed64:
      return in->ReadFixed64(&occurrence->value);
    case kFixed32:
      if (!in->ReadFixed32(&fixed32)) return false;
      occurrence->value = fixed32;
      return true;
    default:
      if (!in->ReadLengthDelimited(&payload)) return false;
      occurrence->data = payload.data();
      occurrence->value = payload.size();
      return true;
  }
}

// Appends the map key `key` holds (nullptr: the default key).
bool AppendKey(const FieldPlan& field, const Occurrence* key,
               std::string* out) {
  if (key == nullptr) return AppendMapKey(field, 0, absl::string_view(), out);
  if (key->wire_type == kLengthDelimited) {
    return AppendMapKey(field, 0, key->payload(), out);
  }
  return AppendMapKey(field, key->value, absl::string_view(), out);
}

// Whether a parse leaves a field without presence unset (proto3 then
// neither serializes nor prints it). Doubles compare by bits: -0 is set.
bool IsDefault(const FieldPlan& field, const Occurrence& occurrence) {
  if (occurrence.wire_type == kLengthDelimited) return occurrence.value == 0;
  return NormalizedBits(field.kind, occurrence.value) == 0;
}

// One Print call: the output, and whether values are only being checked
// (dropped occurrences, skipped fields, all after a refusal), which prints
// into a scratch string.
class Walk {
 public:
  Walk(std::string* out, const absl::flat_hash_set<int>& skip);

  absl::Status Message(const MessagePlan& plan, absl::string_view bytes,
                       Depth depth, bool top);
  // What protobuf's printer would refuse, once the walk is over.
  const absl::Status& refusal() const { return refusal_; }

 private:
  absl::Status Scan(const MessagePlan& plan, absl::string_view bytes,
                    Depth depth, bool top, Occurrences* found,
                    ScanResult* result);
  absl::Status Canonicalize(const MessagePlan& plan, Occurrences* found,
                            Depth depth);
  absl::Status Validate(const Occurrence& occurrence, Depth depth);
  absl::Status Field(const FieldPlan& field, const Occurrence* begin,
                     const Occurrence* end, Depth depth);
  absl::Status SingleValue(const FieldPlan& field, const Occurrence* begin,
                           const Occurrence* end, Depth depth);
  absl::Status Value(const FieldPlan& field, const Occurrence& occurrence,
                     Depth depth);
  absl::Status Nested(const MessagePlan& plan, absl::string_view bytes,
                      Depth depth);
  absl::Status List(const FieldPlan& field, const Occurrence* begin,
                    const Occurrence* end, Depth depth);
  absl::Status Packed(const FieldPlan& field, absl::string_view bytes);
  absl::Status Map(const FieldPlan& field, const Occurrence* begin,
                   const Occurrence* end, Depth depth);
  absl::Status LastOfEachKey(const MessagePlan& plan, const Occurrence* begin,
                             const Occurrence* end, Depth depth,
                             std::vector<bool>* last);
  absl::Status Entry(const MessagePlan& plan, absl::string_view bytes,
                     Depth depth);
  absl::Status Special(const MessagePlan& plan, absl::string_view bytes,
                       Depth depth);
  absl::Status Time(const MessagePlan& plan, absl::string_view bytes,
                    Depth depth);
  absl::Status FieldMask(const Occurrences& parts);

  // Notes what protobuf's printer (not its parser) refuses, and goes on
  // only checking: invalid bytes further on still make DATA_LOSS.
  absl::Status Refuse(absl::Status refusal) {
    if (!validating_) {
      refusal_ = std::move(refusal);
      validating_ = true;
      scratch_.assign("{");
      out_ = &scratch_;
    }
    return absl::OkStatus();
  }
  void Comma(char open) {
    if (out_->back() != open) out_->push_back(',');
  }
  void Key(const FieldPlan& field) {
    Comma('{');
    out_->append(field.key);
  }
  bool Skipped(int number) const {
    if (number < 64) return (skip_low_ >> number) & 1;
    return !skip_.empty() && skip_.contains(number);
  }

  std::string* out_;
  const absl::flat_hash_set<int>& skip_;
  uint64_t skip_low_ = 0;  // Bit n: field n < 64 is skipped.
  bool validating_ = false;
  std::string scratch_;
  absl::Status refusal_;
};

Walk::Walk(std::string* out, const absl::flat_hash_set<int>& skip)
    : out_(out), skip_(skip) {
  for (int number : skip) {
    if (number >= 0 && number < 64) skip_low_ |= uint64_t{1} << number;
  }
}

absl::Status Walk::Message(const MessagePlan& plan, absl::string_view bytes,
                           Depth depth, bool top) {
  if (plan.special != Special::kNone) return Special(plan, bytes, depth);
  Occurrences found;
  ScanResult scan;
  LMDBAPI_RETURN_IF_ERROR(Scan(plan, bytes, depth, top, &found, &scan));
  if (!scan.canonical) {
    LMDBAPI_RETURN_IF_ERROR(Canonicalize(plan, &found, depth));
  }
  out_->push_back('{');
  const Occurrence* end = found.data() + found.size();
  for (const Occurrence* group = found.data(); group != end;) {
    const Occurrence* group_end = group + 1;
    while (group_end != end && group_end->field == group->field) ++group_end;
    LMDBAPI_RETURN_IF_ERROR(Field(*group->field, group, group_end, depth));
    group = group_end;
  }
  out_->push_back('}');
  return absl::OkStatus();
}

// Reads the occurrences of known fields; unknown fields and known numbers
// with a wire type their field cannot have are skipped, as protobuf's
// parser keeps them aside. Top-level fields in the skip set are checked.
absl::Status Walk::Scan(const MessagePlan& plan, absl::string_view bytes,
                        Depth depth, bool top, Occurrences* found,
                        ScanResult* result) {
  WireReader in(bytes);
  int previous = 0;
  uint64_t oneofs = 0;  // Bit n: a member of oneof n was seen.
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag) || (tag >> 3) == 0) return DataLoss("a bad tag");
    const int number = static_cast<int>(tag >> 3);
    const FieldPlan* field = plan.Find(number);
    if (field == nullptr || !field->Accepts(tag & 7)) {
      result->unknown = true;
      if (!in.SkipField(tag, depth.parse)) return DataLoss("a bad field");
      continue;
    }
    Occurrence occurrence{field, tag & 7, nullptr, 0};
    if (!ReadValue(&in, &occurrence)) return DataLoss("a truncated value");
    if (top && Skipped(number)) {
      LMDBAPI_RETURN_IF_ERROR(Validate(occurrence, depth));
      continue;
    }
    if (number < previous || (number == previous && !field->repeated)) {
      result->canonical = false;
    } else if (number > previous && field->oneof >= 0) {
      const uint64_t bit = field->oneof < 64 ? uint64_t{1} << field->oneof : 0;
      if (bit == 0 || (oneofs & bit) != 0) result->canonical = false;
      oneofs |= bit;
    }
    previous = number;
    found->push_back(occurrence);
  }
  return absl::OkStatus();
}

// Gives non-canonical occurrences the shape a parse and reserialization
// would: of each oneof only the member set last (from its last switch on),
// then all in field number order, each field's in wire order.
absl::Status Walk::Canonicalize(const MessagePlan& plan, Occurrences* found,
                                Depth depth) {
  if (plan.oneof_count > 0) {
    std::vector<const FieldPlan*> member(plan.oneof_count, nullptr);
    std::vector<size_t> since(plan.oneof_count, 0);
    for (size_t i = 0; i < found->size(); ++i) {
      const FieldPlan* field = (*found)[i].field;
      if (field->oneof < 0 || member[field->oneof] == field) continue;
      member[field->oneof] = field;
      since[field->oneof] = i;
    }
    size_t kept = 0;
    for (size_t i = 0; i < found->size(); ++i) {
      const Occurrence& occurrence = (*found)[i];
      const int oneof = occurrence.field->oneof;
      if (oneof < 0 ||
          (member[oneof] == occurrence.field && i >= since[oneof])) {
        (*found)[kept++] = occurrence;
      } else {
        LMDBAPI_RETURN_IF_ERROR(Validate(occurrence, depth));
      }
    }
    found->resize(kept);
  }
  std::stable_sort(found->begin(), found->end(),
                   [](const Occurrence& a, const Occurrence& b) {
                     return a.field->number < b.field->number;
                   });
  return absl::OkStatus();
}

// Checks an occurrence that is not printed as protobuf's parser would
// check it (DATA_LOSS or OK).
absl::Status Walk::Validate(const Occurrence& occurrence, Depth depth) {
  std::string* const out = out_;
  const bool validating = validating_;
  if (!validating_) scratch_.assign("{");
  out_ = &scratch_;
  validating_ = true;
  absl::Status status =
      Field(*occurrence.field, &occurrence, &occurrence + 1, depth);
  out_ = out;
  validating_ = validating;
  return status;
}

absl::Status Walk::Field(const FieldPlan& field, const Occurrence* begin,
                         const Occurrence* end, Depth depth) {
  if (field.map) return Map(field, begin, end, depth);
  if (field.repeated) return List(field, begin, end, depth);
  if (!field.presence && IsDefault(field, end[-1])) {
    // Unset after the parse; an earlier string is still checked.
    if (field.kind != ValueKind::kString) return absl::OkStatus();
    for (const Occurrence* p = begin; p != end; ++p) {
      if (!IsValidUtf8(p->payload())) return DataLoss("a string not UTF-8");
    }
    return absl::OkStatus();
  }
  Key(field);
  return SingleValue(field, begin, end, depth);
}

// The value occurrences of a singular field leave after a parse: the last
// one, or for a message all of them merged (the parse of their
// concatenation, each checked alone first).
absl::Status Walk::SingleValue(const FieldPlan& field, const Occurrence* begin,
                               const Occurrence* end, Depth depth) {
  if (end - begin == 1) return Value(field, *begin, depth);
  for (const Occurrence* p = begin; p != end - 1; ++p) {
    if (field.kind == ValueKind::kString && !IsValidUtf8(p->payload())) {
      return DataLoss("a string not UTF-8");
    }
  }
  if (field.kind != ValueKind::kMessage) return Value(field, end[-1], depth);
  std::string merged;
  for (const Occurrence* p = begin; p != end; ++p) {
    LMDBAPI_RETURN_IF_ERROR(Validate(*p, depth));
    merged.append(p->data, static_cast<size_t>(p->value));
  }
  return Nested(*field.message, merged, depth);
}

absl::Status Walk::Value(const FieldPlan& field, const Occurrence& occurrence,
                         Depth depth) {
  switch (field.kind) {
    case ValueKind::kString:
      if (!AppendJsonString(occurrence.payload(), out_)) {
        return DataLoss("a string not UTF-8");
      }
      return absl::OkStatus();
    case ValueKind::kBytes:
      out_->push_back('"');
      AppendBase64(occurrence.payload(), out_);
      out_->push_back('"');
      return absl::OkStatus();
    case ValueKind::kMessage:
      return Nested(*field.message, occurrence.payload(), depth);
    default:
      AppendScalar(field, occurrence.value, out_);
      return absl::OkStatus();
  }
}

absl::Status Walk::Nested(const MessagePlan& plan, absl::string_view bytes,
                          Depth depth) {
  ++depth.parse;
  if (depth.parse > kMaxParseDepth) return DataLoss("messages nested too deep");
  if (plan.special == Special::kNone && ++depth.print > kMaxPrintDepth) {
    LMDBAPI_RETURN_IF_ERROR(Refuse(absl::InvalidArgumentError(
        "messages nested deeper than protobuf's JSON printer allows (64)")));
  }
  return Message(plan, bytes, depth, /*top=*/false);
}

// A JSON array of all occurrences' values; none (only empty packed runs)
// is no field, as for an empty repeated field.
absl::Status Walk::List(const FieldPlan& field, const Occurrence* begin,
                        const Occurrence* end, Depth depth) {
  const size_t start = out_->size();
  Key(field);
  out_->push_back('[');
  for (const Occurrence* p = begin; p != end; ++p) {
    if (field.packable && p->wire_type == kLengthDelimited) {
      LMDBAPI_RETURN_IF_ERROR(Packed(field, p->payload()));
      continue;
    }
    Comma('[');
    LMDBAPI_RETURN_IF_ERROR(Value(field, *p, depth));
  }
  if (out_->back() == '[') {
    out_->resize(start);
    return absl::OkStatus();
  }
  out_->push_back(']');
  return absl::OkStatus();
}

absl::Status Walk::Packed(const FieldPlan& field, absl::string_view bytes) {
  WireReader in(bytes);
  Occurrence element{&field, field.wire_type, nullptr, 0};
  while (!in.done()) {
    if (!ReadValue(&in, &element)) return DataLoss("a bad packed field");
    Comma('[');
    AppendScalar(field, element.value, out_);
  }
  return absl::OkStatus();
}

// A JSON object of the entries in wire order; of entries with the same key
// only the last is printed (at its place), as a parsed map keeps one value.
absl::Status Walk::Map(const FieldPlan& field, const Occurrence* begin,
                       const Occurrence* end, Depth depth) {
  std::vector<bool> printed;  // Empty: all.
  if (end - begin > 1 && !validating_) {
    LMDBAPI_RETURN_IF_ERROR(
        LastOfEachKey(*field.message, begin, end, depth, &printed));
  }
  Key(field);
  out_->push_back('{');
  for (const Occurrence* p = begin; p != end; ++p) {
    if (!printed.empty() && !printed[p - begin]) {
      LMDBAPI_RETURN_IF_ERROR(Validate(*p, depth));
      continue;
    }
    Comma('{');
    LMDBAPI_RETURN_IF_ERROR(Entry(*field.message, p->payload(), depth));
  }
  out_->push_back('}');
  return absl::OkStatus();
}

// Whether each entry is the last with its key.
absl::Status Walk::LastOfEachKey(const MessagePlan& plan,
                                 const Occurrence* begin, const Occurrence* end,
                                 Depth depth, std::vector<bool>* last) {
  std::string keys;
  std::vector<size_t> key_ends;
  ++depth.parse;  // Inside the entries.
  for (const Occurrence* p = begin; p != end; ++p) {
    Occurrences parts;
    ScanResult scan;
    LMDBAPI_RETURN_IF_ERROR(
        Scan(plan, p->payload(), depth, false, &parts, &scan));
    const Occurrence* key = nullptr;
    for (const Occurrence& part : parts) {
      if (part.field->number == 1) key = &part;
    }
    if (!AppendKey(plan.fields[0], key, &keys)) {
      return DataLoss("a string not UTF-8");
    }
    key_ends.push_back(keys.size());
  }
  last->assign(key_ends.size(), true);
  absl::flat_hash_set<absl::string_view> later;
  for (size_t i = key_ends.size(); i-- > 0;) {
    const size_t key_begin = i == 0 ? 0 : key_ends[i - 1];
    (*last)[i] = later
                     .insert(absl::string_view(keys).substr(
                         key_begin, key_ends[i] - key_begin))
                     .second;
  }
  return absl::OkStatus();
}

absl::Status Walk::Entry(const MessagePlan& plan, absl::string_view bytes,
                         Depth depth) {
  ++depth.parse;
  if (depth.parse > kMaxParseDepth) return DataLoss("messages nested too deep");
  Occurrences parts;
  ScanResult scan;
  LMDBAPI_RETURN_IF_ERROR(Scan(plan, bytes, depth, false, &parts, &scan));
  const FieldPlan& key = plan.fields[0];
  const FieldPlan& value = plan.fields[1];
  absl::InlinedVector<Occurrence, 2> keys, values;
  for (const Occurrence& part : parts) {
    (part.field == &key ? keys : values).push_back(part);
  }
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (key.kind == ValueKind::kString && !IsValidUtf8(keys[i].payload())) {
      return DataLoss("a string not UTF-8");
    }
  }
  if (!AppendKey(key, keys.empty() ? nullptr : &keys.back(), out_)) {
    return DataLoss("a string not UTF-8");
  }
  out_->push_back(':');
  if (values.empty()) {  // The value's default.
    Occurrence absent{&value, value.wire_type, "", 0};
    return Value(value, absent, depth);
  }
  return SingleValue(value, values.data(), values.data() + values.size(),
                     depth);
}

absl::Status Walk::Special(const MessagePlan& plan, absl::string_view bytes,
                           Depth depth) {
  if (plan.special == Special::kTimestamp ||
      plan.special == Special::kDuration) {
    return Time(plan, bytes, depth);
  }
  Occurrences parts;
  ScanResult scan;
  LMDBAPI_RETURN_IF_ERROR(Scan(plan, bytes, depth, false, &parts, &scan));
  if (scan.unknown) {  // Protobuf's printer reads these oddly, or fails.
    LMDBAPI_RETURN_IF_ERROR(Refuse(absl::UnimplementedError(
        "a wrapper or FieldMask with unknown fields: print it with protobuf")));
  }
  if (plan.special == Special::kFieldMask) return FieldMask(parts);
  const FieldPlan& value = plan.fields[0];  // A wrapper's field 1.
  if (parts.empty()) {
    Occurrence absent{&value, value.wire_type, "", 0};
    return Value(value, absent, depth);
  }
  return SingleValue(value, parts.data(), parts.data() + parts.size(), depth);
}

// A Timestamp or Duration: varint fields 1 (seconds) and 2 (nanos), the
// last of each winning. Read here without a Scan: records hold many.
absl::Status Walk::Time(const MessagePlan& plan, absl::string_view bytes,
                        Depth depth) {
  uint64_t seconds_bits = 0, nanos_bits = 0;
  WireReader in(bytes);
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag) || (tag >> 3) == 0) return DataLoss("a bad tag");
    uint64_t* value = tag == (1 << 3)   ? &seconds_bits
                      : tag == (2 << 3) ? &nanos_bits
                                        : nullptr;
    if (value != nullptr ? !in.ReadVarint(value)
                         : !in.SkipField(tag, depth.parse)) {
      return DataLoss("a bad field");
    }
  }
  const auto seconds = static_cast<int64_t>(seconds_bits);
  const auto nanos = static_cast<int32_t>(nanos_bits);
  const bool timestamp = plan.special == Special::kTimestamp;
  if (timestamp ? AppendTimestamp(seconds, nanos, out_)
                : AppendDuration(seconds, nanos, out_)) {
    return absl::OkStatus();
  }
  return Refuse(absl::InvalidArgumentError(absl::StrCat(
      timestamp ? "Timestamp" : "Duration", " out of range (seconds ", seconds,
      ", nanos ", nanos, "): protobuf's JSON printer refuses it")));
}

// The paths in lowerCamel, joined by commas (protobuf's printer adds no
// comma while what it joined is still empty).
absl::Status Walk::FieldMask(const Occurrences& parts) {
  std::string joined;
  for (const Occurrence& part : parts) {
    if (!IsValidUtf8(part.payload())) return DataLoss("a string not UTF-8");
    if (!joined.empty()) joined.push_back(',');
    AppendFieldMaskPath(part.payload(), &joined);
  }
  AppendJsonString(joined, out_);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsonPrinter>> JsonPrinter::Create(
    const google::protobuf::Descriptor* type) {
  auto plan = std::make_unique<Plan>();
  LMDBAPI_ASSIGN_OR_RETURN(plan->root, plan->plans.Build(type));
  return std::unique_ptr<JsonPrinter>(new JsonPrinter(std::move(plan)));
}

JsonPrinter::JsonPrinter(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}

JsonPrinter::~JsonPrinter() = default;

absl::Status JsonPrinter::Print(absl::string_view wire, std::string* out,
                                const absl::flat_hash_set<int>& skip) const {
  out->reserve(out->size() + 3 * wire.size() + 64);  // Keys outweigh tags.
  Walk walk(out, skip);
  LMDBAPI_RETURN_IF_ERROR(
      walk.Message(*plan_->root, wire, Depth{}, /*top=*/true));
  return walk.refusal();
}

}  // namespace lmdbapi::json
