#include "storage/wire_record.h"

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "json/wire_reader.h"  // header-only: no link to lmdbapi_json
#include "storage/coding.h"
#include "storage/validate.h"
#include "storage/wire_scalar.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using json::kLengthDelimited;
using json::kVarint;

// Message types nested deeper than this (or recursive ones) are left to
// ValidateRecord.
constexpr int kMaxCheckDepth = 8;
// Fields a table's indexes may read from the bytes.
constexpr size_t kMaxSlots = 32;

bool IsTimestamp(const Descriptor* type) {
  return type->full_name() == "google.protobuf.Timestamp";
}

// A Timestamp's seconds and nanos from its bytes; false when they do not
// read as a Timestamp's.
bool ReadTimestamp(absl::string_view bytes, TimestampValue* ts) {
  json::WireReader in(bytes);
  bool seen[3] = {false, false, false};
  while (!in.done()) {
    uint32_t tag;
    uint64_t raw;
    if (!in.ReadTag(&tag) || (tag >> 3) == 0) return false;
    if ((tag >> 3) > 2) {
      if (!SkipWireField(in, tag)) return false;
      continue;
    }
    // Twice: an unknown field under a known number follows the known one.
    if ((tag & 7) != kVarint || seen[tag >> 3] || !in.ReadVarint(&raw)) {
      return false;
    }
    seen[tag >> 3] = true;
    if ((tag >> 3) == 1) {
      ts->seconds = static_cast<int64_t>(raw);
    } else {
      ts->nanos = static_cast<int32_t>(raw);
    }
  }
  return true;
}

// Whether an enum's value (varint `raw`) is one of `type`'s.
bool EnumValid(const google::protobuf::EnumDescriptor* type, uint64_t raw) {
  return type->FindValueByNumber(static_cast<int32_t>(raw)) != nullptr;
}

// Whether every value of an enum field's occurrence (a varint, or packed
// varints) is one of `type`'s.
bool EnumsValid(const google::protobuf::EnumDescriptor* type,
                json::WireReader& in, uint32_t tag) {
  uint64_t raw;
  if ((tag & 7) == kVarint) return in.ReadVarint(&raw) && EnumValid(type, raw);
  absl::string_view packed;
  if ((tag & 7) != kLengthDelimited || !in.ReadLengthDelimited(&packed)) {
    return false;
  }
  json::WireReader values(packed);
  while (!values.done()) {
    if (!values.ReadVarint(&raw) || !EnumValid(type, raw)) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<const WireRecord> WireRecord::Compile(
    const TableSchema& schema) {
  std::unique_ptr<WireRecord> wire(new WireRecord(schema));
  if (wire->CompileChecks(schema.descriptor, 0) < 0) wire->checks_.clear();
  wire->entries_ = wire->CompileEntries();
  return wire;
}

int WireRecord::CompileChecks(const Descriptor* type, int depth) {
  if (depth > kMaxCheckDepth) return -1;
  const int at = static_cast<int>(checks_.size());
  checks_.emplace_back();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    CheckField check{f->number()};
    if (depth == 0 && IsVersionField(f)) {
      check.version = true;
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      check.enum_type = f->enum_type();
    } else if (f->type() == FieldDescriptor::TYPE_GROUP) {
      return -1;
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      check.timestamp = IsTimestamp(f->message_type());
      if (!check.timestamp) {
        check.message = CompileChecks(f->message_type(), depth + 1);
        if (check.message < 0) return -1;
      }
    } else {
      continue;  // nothing to check
    }
    checks_[at].fields.push_back(check);
  }
  return at;
}

bool WireRecord::IsVersionField(const FieldDescriptor* field) const {
  return field == schema_.revision.field ||
         field == schema_.create_time.field ||
         field == schema_.update_time.field;
}

bool WireRecord::CompileEntries() {
  // The primary key, read for SortKey (a string key of the record itself).
  const FieldRef& pk = schema_.primary_key;
  if (pk.field != nullptr && pk.path.empty() && !pk.field->is_repeated() &&
      pk.field->type() == FieldDescriptor::TYPE_STRING) {
    pk_slot_ = slots_.size();
    slots_.push_back(Slot{&pk, pk.field->number(), pk.field->type(),
                          static_cast<int>(kLengthDelimited)});
  }
  for (const IndexSchema& index : schema_.indexes) {
    std::vector<size_t>& slots = index_slots_.emplace_back();
    for (const FieldRef& ref : index.fields) {
      const FieldDescriptor* f = ref.field;
      const bool timestamp = ref.kind == FieldKind::kTimestamp;
      // A proto2 enum is closed: a number it does not name is kept among
      // the unknown fields, under the same number, and the field reads as
      // its default.
      const bool closed_enum =
          f->type() == FieldDescriptor::TYPE_ENUM &&
          f->enum_type()->file()->syntax() !=
              google::protobuf::FileDescriptor::SYNTAX_PROTO3;
      if (!ref.path.empty() || f->is_repeated() || closed_enum ||
          f->has_default_value() || (!timestamp && WireTypeOf(f->type()) < 0)) {
        return false;
      }
      size_t slot = 0;
      while (slot < slots_.size() && slots_[slot].number != f->number()) {
        ++slot;
      }
      if (slot == slots_.size()) {
        if (slots_.size() == kMaxSlots) return false;
        const int wire_type = timestamp ? static_cast<int>(kLengthDelimited)
                                        : WireTypeOf(f->type());
        slots_.push_back(Slot{&ref, f->number(), f->type(), wire_type});
      }
      slots.push_back(slot);
    }
  }
  return true;
}

bool WireRecord::Valid(absl::string_view bytes) const {
  return !checks_.empty() && Valid(bytes, checks_[0], 0);
}

bool WireRecord::Valid(absl::string_view bytes, const CheckNode& node,
                       int depth) const {
  json::WireReader in(bytes);
  while (!in.done()) {
    uint32_t tag;
    if (!in.ReadTag(&tag) || (tag >> 3) == 0) return false;
    const CheckField* check = nullptr;
    for (const CheckField& f : node.fields) {
      if (static_cast<uint32_t>(f.number) == tag >> 3) check = &f;
    }
    if (check == nullptr) {
      if (!SkipWireField(in, tag)) return false;
      continue;
    }
    if (check->version) return false;
    if (check->enum_type != nullptr) {
      if (!EnumsValid(check->enum_type, in, tag)) return false;
      continue;
    }
    absl::string_view payload;
    if ((tag & 7) != kLengthDelimited || !in.ReadLengthDelimited(&payload)) {
      return false;
    }
    if (check->timestamp) {
      TimestampValue ts;
      if (!ReadTimestamp(payload, &ts) || !ValidTimestamp(ts.seconds, ts.nanos))
        return false;
    } else if (!Valid(payload, checks_[check->message], depth + 1)) {
      return false;
    }
  }
  return true;
}

bool WireRecord::ReadSlots(absl::string_view bytes, Read* reads) const {
  return ReadListedFields(
      bytes, slots_, [&](size_t slot, uint32_t tag, json::WireReader& in) {
        Read& read = reads[slot];
        // Twice: an unknown field under a known number follows the known.
        if (static_cast<int>(tag & 7) != slots_[slot].wire_type ||
            read.present) {
          return false;
        }
        read.present = true;
        if ((tag & 7) == kLengthDelimited) {
          return in.ReadLengthDelimited(&read.text);
        }
        return ReadRawScalar(in, tag & 7, &read.raw);
      });
}

std::optional<absl::Status> WireRecord::AppendSlot(const Slot& slot,
                                                   const Read& read,
                                                   TupleWriter& writer) const {
  // An absent field reads as zero bytes and a zero value: its default, as
  // no slot's field has an explicit one or a closed enum's (CompileEntries).
  switch (slot.ref->kind) {
    case FieldKind::kString:
      writer.AppendString(read.text);
      break;
    case FieldKind::kTimestamp: {
      TimestampValue ts;
      if (read.present && !ReadTimestamp(read.text, &ts)) return std::nullopt;
      return AppendTimestamp(ts, *slot.ref, writer);
    }
    case FieldKind::kDouble:
      writer.AppendDouble(DecodeFloating(slot.type, read.raw));
      break;
    case FieldKind::kBool:
      writer.AppendBool(read.raw != 0);
      break;
    case FieldKind::kInt64:
    case FieldKind::kUint64: {
      int64_t number = 0;
      uint64_t unsigned_number = 0;
      DecodeScalar(slot.type, read.raw, &number, &unsigned_number);
      if (slot.ref->kind == FieldKind::kInt64) {
        writer.AppendInt64(number);
      } else {
        writer.AppendUint64(unsigned_number);
      }
      break;
    }
  }
  return absl::OkStatus();
}

size_t WireRecord::KeySize(const std::vector<size_t>& slots, const Read* reads,
                           absl::string_view pk) const {
  // A tuple's element is its bytes and a few more (tuple.h): a string's
  // escapes aside, this is the key's size, so the key grows once.
  size_t size = pk.size();
  for (size_t slot : slots) size += reads[slot].text.size() + 16;
  return size;
}

std::optional<absl::Status> WireRecord::Entries(absl::string_view bytes,
                                                absl::string_view pk,
                                                RecordEntries* entries) const {
  if (!entries_) return std::nullopt;
  absl::InlinedVector<Read, 16> reads(slots_.size());
  if (!ReadSlots(bytes, reads.data())) return std::nullopt;
  entries->Clear(schema_.indexes.size());
  for (size_t i = 0; i < schema_.indexes.size(); ++i) {
    const IndexSchema& index = schema_.indexes[i];
    IndexEntry* entry = entries->Add();
    entry->key.reserve(KeySize(index_slots_[i], reads.data(), pk));
    TupleWriter writer(&entry->key);
    bool sets_any = false;
    for (size_t slot : index_slots_[i]) {
      std::optional<absl::Status> status =
          AppendSlot(slots_[slot], reads[slot], writer);
      if (!status.has_value() || !status->ok()) return status;
      sets_any = sets_any || reads[slot].present;
    }
    absl::Status status = FinishIndexEntry(index, pk, sets_any, entry);
    if (!status.ok()) return status;
    entries->EndIndex();
  }
  return absl::OkStatus();
}

bool WireRecord::PrimaryKey(absl::string_view bytes,
                            absl::string_view* pk) const {
  if (pk_slot_ == kNoSlot) return false;
  struct Number {
    int number;
  };
  const Number key[] = {{slots_[pk_slot_].number}};
  bool present = false;
  *pk = absl::string_view();
  return ReadListedFields(bytes, absl::MakeConstSpan(key),
                          [&](size_t, uint32_t tag, json::WireReader& in) {
                            if ((tag & 7) != kLengthDelimited || present)
                              return false;
                            present = true;
                            return in.ReadLengthDelimited(pk);
                          });
}

std::string WireRecord::WithPrimaryKey(absl::string_view bytes,
                                       absl::string_view pk) const {
  // Before the first field numbered after the key's: fields are in number
  // order in canonical bytes.
  const auto number = static_cast<uint32_t>(slots_[pk_slot_].number);
  json::WireReader in(bytes);
  const char* at = bytes.data() + bytes.size();
  while (!in.done()) {
    const char* field = in.position();
    uint32_t tag;
    if (!in.ReadTag(&tag) || (tag >> 3) > number) {
      at = field;
      break;
    }
    if (!SkipWireField(in, tag)) break;
  }
  const size_t before = static_cast<size_t>(at - bytes.data());
  std::string out;
  out.reserve(bytes.size() + pk.size() + 10);
  out.append(bytes.data(), before);
  PutWireBytes(static_cast<int>(number), pk, &out);
  out.append(bytes.data() + before, bytes.size() - before);
  return out;
}

std::optional<absl::Status> WireRecord::SortKey(
    absl::string_view bytes, const std::vector<FieldRef>& order,
    std::string* key, std::string* pk) const {
  if (!entries_ || pk_slot_ == kNoSlot) return std::nullopt;
  absl::InlinedVector<Read, 16> reads(slots_.size());
  if (!ReadSlots(bytes, reads.data())) return std::nullopt;
  pk->assign(reads[pk_slot_].text.data(), reads[pk_slot_].text.size());
  key->clear();
  TupleWriter writer(key);
  for (const FieldRef& ref : order) {
    size_t slot = 0;
    while (slot < slots_.size() && slots_[slot].ref->field != ref.field) {
      ++slot;
    }
    if (slot == slots_.size() || !ref.path.empty()) return std::nullopt;
    // The order's own reference: its kind and encoding, the slot's read.
    const Slot own{&ref, slots_[slot].number, slots_[slot].type,
                   slots_[slot].wire_type};
    std::optional<absl::Status> status = AppendSlot(own, reads[slot], writer);
    if (!status.has_value() || !status->ok()) return status;
  }
  key->append(*pk);
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
