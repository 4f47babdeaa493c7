// The kinds of record field that can be indexed and filtered on, fixed by the
// field's proto type. The schema rules (model/validate.cc) and storage's
// values and index keys (storage/value.h) share them.
#ifndef LMDBAPI_MODEL_FIELD_KIND_H_
#define LMDBAPI_MODEL_FIELD_KIND_H_

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::model {

enum class FieldKind {
  kString,     // string and bytes
  kInt64,      // int32/64, sint32/64, sfixed32/64 and enums
  kUint64,     // uint32/64, fixed32/64
  kDouble,     // double and float
  kBool,       // bool
  kTimestamp,  // google.protobuf.Timestamp
};

const char* FieldKindName(FieldKind kind);

// The kind of `field`, or INVALID_ARGUMENT naming the field when it cannot
// be indexed (repeated, map, message other than Timestamp).
absl::StatusOr<FieldKind> KindOfField(
    const google::protobuf::FieldDescriptor* field);
// The kind of a singular field or of each element of a repeated one
// (INVALID_ARGUMENT for a map or a message other than Timestamp).
absl::StatusOr<FieldKind> ElementKindOf(
    const google::protobuf::FieldDescriptor* field);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_FIELD_KIND_H_
