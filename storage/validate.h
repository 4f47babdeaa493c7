// Checks what the protobuf wire format lets through but a stored record must
// not hold: enum values the schema does not define, and Timestamps outside
// 0001-01-01..9999-12-31 or with nanos outside 0..999999999. Nested messages
// are checked too. INVALID_ARGUMENT names the field (dotted path).
#ifndef LMDBAPI_STORAGE_VALIDATE_H_
#define LMDBAPI_STORAGE_VALIDATE_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace lmdbapi::storage {

absl::Status ValidateRecord(const google::protobuf::Message& record);

// The same checks for one Timestamp's parts, e.g. of a filter bound.
bool ValidTimestamp(int64_t seconds, int32_t nanos);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_VALIDATE_H_
