// Numbers as protobuf's JSON printer writes them: 32-bit integers bare,
// 64-bit integers quoted, doubles and floats in the shortest of "%.15g" /
// "%.17g" (floats: "%.6g" / "%.9g") that reads back to the same value, and
// the non-finite ones as the strings "NaN", "Infinity" and "-Infinity".
#ifndef LMDBAPI_JSON_JSON_NUMBER_H_
#define LMDBAPI_JSON_JSON_NUMBER_H_

#include <cstdint>
#include <string>

namespace lmdbapi::json {

void AppendInt32(int32_t value, std::string* out);
void AppendUint32(uint32_t value, std::string* out);
// In quotes: JSON readers keep no more than 53 bits of a number.
void AppendQuotedInt64(int64_t value, std::string* out);
void AppendQuotedUint64(uint64_t value, std::string* out);
void AppendDouble(double value, std::string* out);
void AppendFloat(float value, std::string* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_NUMBER_H_
