// google.protobuf.Timestamp and Duration in their JSON forms as protobuf's
// printer writes them: "2024-05-01T12:00:00.500Z" (UTC, with 0, 3, 6 or 9
// fractional digits) and "-1.500s". Values outside the types' documented
// ranges, which protobuf's printer refuses too, are refused.
#ifndef LMDBAPI_JSON_JSON_TIME_H_
#define LMDBAPI_JSON_JSON_TIME_H_

#include <cstdint>
#include <string>

namespace lmdbapi::json {

// Appends the quoted timestamp. False when `seconds` is outside years 0001
// to 9999 or `nanos` outside [0, 1e9).
bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string* out);

// Appends the quoted duration. False when |seconds| > 315576000000 (10000
// years), |nanos| >= 1e9, or seconds < 0 < nanos.
bool AppendDuration(int64_t seconds, int32_t nanos, std::string* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_TIME_H_
