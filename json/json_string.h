// JSON strings as protobuf's JSON printer writes them: quoted, with '"',
// '\\', control characters, '<', '>' and a few invisible or formatting code
// points escaped (json/json_string.cc lists them), all else as UTF-8.
#ifndef LMDBAPI_JSON_JSON_STRING_H_
#define LMDBAPI_JSON_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

// Appends `text` quoted and escaped to `out`. False (and `out` holding part
// of it) when `text` is not well-formed UTF-8: protobuf's parser refuses
// such a value in a proto3 string field.
bool AppendJsonString(absl::string_view text, std::string* out);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing past U+10FFFF), protobuf's check of proto3 strings.
bool IsValidUtf8(absl::string_view text);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_JSON_STRING_H_
