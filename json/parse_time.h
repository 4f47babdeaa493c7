// The JSON strings of google.protobuf.Timestamp and Duration, read as
// protobuf 3.21's JSON parser reads them (or refused where it is lenient:
// json_parser then leaves the record to protobuf).
//   Timestamp: RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f]Z" or with an offset
//     "+HH:MM" / "-HH:MM"; 1 to 9 fraction digits; year 0001 to 9999 before
//     the offset is applied (as protobuf, which checks the fields, not the
//     result). Protobuf also takes one-digit fields and more than nine
//     fraction digits (truncated); those are refused here.
//   Duration: "-?S[.f]s" with S up to 315576000000 and 1 to 9 fraction
//     digits; a negative duration has negative seconds and nanos.
#ifndef LMDBAPI_JSON_PARSE_TIME_H_
#define LMDBAPI_JSON_PARSE_TIME_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

bool ParseTimestamp(absl::string_view text, int64_t* seconds, int32_t* nanos);
bool ParseDuration(absl::string_view text, int64_t* seconds, int32_t* nanos);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_PARSE_TIME_H_
