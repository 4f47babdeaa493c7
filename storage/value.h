// Typed field values: what a filter compares and what an index encodes.
// A field's kind is fixed by its proto type; values are read from records by
// reflection and compared with the order the tuple encoding preserves.
#ifndef LMDBAPI_STORAGE_VALUE_H_
#define LMDBAPI_STORAGE_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "model/field_kind.h"
#include "storage/tuple.h"

namespace lmdbapi::storage {

// The kinds of field that can be indexed and filtered on (model/field_kind.h).
using ::lmdbapi::model::ElementKindOf;
using ::lmdbapi::model::FieldKind;
using ::lmdbapi::model::FieldKindName;
using ::lmdbapi::model::KindOfField;

struct TimestampValue {
  int64_t seconds = 0;
  int32_t nanos = 0;
  friend bool operator==(const TimestampValue& a, const TimestampValue& b) {
    return a.seconds == b.seconds && a.nanos == b.nanos;
  }
};

using Value =
    std::variant<std::string, int64_t, uint64_t, double, bool, TimestampValue>;

// A field of one of the kinds above, resolved against a descriptor: a field
// of the record itself, or (path not empty) of a message the record nests,
// e.g. `address.city`. A repeated field has one value per element.
struct FieldRef {
  const google::protobuf::FieldDescriptor* field = nullptr;  // the leaf
  FieldKind kind = FieldKind::kString;
  // The singular message fields that lead from the record to `field`,
  // outermost first; empty for a field of the record.
  std::vector<const google::protobuf::FieldDescriptor*> path;

  bool repeated() const { return field->is_repeated(); }
  // The dotted path: "client", "address.city".
  std::string Name() const;
  void AppendName(std::string* out) const;
};

// The message that holds `ref.field` in `record`: `record` itself, or the
// nested message its path leads to (a default instance where one is unset).
const google::protobuf::Message& HolderOf(
    const google::protobuf::Message& record, const FieldRef& ref);

// True when `value` holds the alternative that `kind` uses.
bool ValueHasKind(const Value& value, FieldKind kind);

// Reads a singular field's value from `record` (the message its path starts
// from); an unset nested message reads as its default values.
Value ReadValue(const google::protobuf::Message& record, const FieldRef& ref);
// Appends the field's values to `out`: one for a singular field, one per
// element (in order, duplicates kept) for a repeated one.
void ReadValues(const google::protobuf::Message& record, const FieldRef& ref,
                std::vector<Value>* out);

// Appends the field's tuple encoding; INVALID_ARGUMENT naming the field when
// the value cannot be encoded (a Timestamp with nanos out of range).
absl::Status AppendField(const google::protobuf::Message& record,
                         const FieldRef& ref, TupleWriter& writer);
// The same for element `i` of a repeated field (an index on it has one entry
// per element).
absl::Status AppendElement(const google::protobuf::Message& record,
                           const FieldRef& ref, int i, TupleWriter& writer);
// Appends a Timestamp `ts` read from `ref`'s field; INVALID_ARGUMENT naming
// the field when its nanos are out of range.
absl::Status AppendTimestamp(const TimestampValue& ts, const FieldRef& ref,
                             TupleWriter& writer);
// Appends a value of `kind` (which the caller has checked with ValueHasKind).
void AppendValue(const Value& value, FieldKind kind, TupleWriter& writer);

// Three-way comparison of two values of the same kind, in encoding order.
int CompareValues(const Value& a, const Value& b);

// For messages and logs: "\"Acme\"", "42", "2024-01-02T03:04:05Z".
std::string ValueDebugString(const Value& value);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_VALUE_H_
