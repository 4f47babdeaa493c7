// Typed field values: what a filter compares and what an index encodes.
// A field's kind is fixed by its proto type; values are read from records by
// reflection and compared with the order the tuple encoding preserves.
#ifndef LMDBAPI_STORAGE_VALUE_H_
#define LMDBAPI_STORAGE_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "model/field_kind.h"
#include "storage/tuple.h"

namespace lmdbapi::storage {

// The kinds of field that can be indexed and filtered on (model/field_kind.h).
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

// A singular field of one of the kinds above, resolved against a descriptor.
struct FieldRef {
  const google::protobuf::FieldDescriptor* field = nullptr;
  FieldKind kind = FieldKind::kString;
};

// True when `value` holds the alternative that `kind` uses.
bool ValueHasKind(const Value& value, FieldKind kind);

// Reads the field's value from `record` (which must be of the field's type).
Value ReadValue(const google::protobuf::Message& record, const FieldRef& ref);

// Appends the field's tuple encoding; INVALID_ARGUMENT naming the field when
// the value cannot be encoded (a Timestamp with nanos out of range).
absl::Status AppendField(const google::protobuf::Message& record,
                         const FieldRef& ref, TupleWriter& writer);
// Appends a value of `kind` (which the caller has checked with ValueHasKind).
void AppendValue(const Value& value, FieldKind kind, TupleWriter& writer);

// Three-way comparison of two values of the same kind, in encoding order.
int CompareValues(const Value& a, const Value& b);

// For messages and logs: "\"Acme\"", "42", "2024-01-02T03:04:05Z".
std::string ValueDebugString(const Value& value);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_VALUE_H_
