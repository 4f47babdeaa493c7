// Base64 of a bytes field's JSON string, decoded as protobuf 3.21's JSON
// parser decodes it: the standard or the URL-safe alphabet (not both in one
// string), with or without '=' padding, and no stray bits in the last
// character (protobuf re-encodes the bytes and compares). Whitespace,
// misplaced or surplus padding and a lone last character are refused.
#ifndef LMDBAPI_JSON_BASE64_DECODE_H_
#define LMDBAPI_JSON_BASE64_DECODE_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

// The number of bytes `text` decodes to, when its length and padding are
// valid; false otherwise.
bool Base64DecodedSize(absl::string_view text, size_t* size);

// Decodes `text` (whose size Base64DecodedSize gave) into `out`. False on a
// character outside the alphabet, both alphabets, or stray last bits.
bool Base64Decode(absl::string_view text, char* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_BASE64_DECODE_H_
