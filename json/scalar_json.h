// A scalar field's value in JSON, from the bits its wire value holds
// (varint, fixed32 or fixed64): what protobuf's printer writes for each
// kind, as a value and as a map key.
#ifndef LMDBAPI_JSON_SCALAR_JSON_H_
#define LMDBAPI_JSON_SCALAR_JSON_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "json/print_plan.h"

namespace lmdbapi::json {

// The bits a parsed field would hold: 32-bit kinds keep the low half, a
// bool is 0 or 1. A field without presence is unset when they are 0.
uint64_t NormalizedBits(ValueKind kind, uint64_t bits);

// Appends the value of a field of `field`'s kind (not string, bytes or
// message): 64-bit integers quoted, enums by name (or number).
void AppendScalar(const FieldPlan& field, uint64_t bits, std::string* out);

// Appends a map key as a JSON object key: `text` escaped for a string key,
// the others from `bits`, quoted ("true", "-1"). False when `text` is not
// UTF-8.
bool AppendMapKey(const FieldPlan& field, uint64_t bits, absl::string_view text,
                  std::string* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_SCALAR_JSON_H_
