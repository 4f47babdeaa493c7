// A google.protobuf.FieldMask path in its JSON form as protobuf's printer
// writes it: each segment between '.', '(', ')' turned from snake_case to
// lowerCamel ("foo_bar.baz_qux" -> "fooBar.bazQux"), quoted segments as they
// are. The conversion keeps protobuf's quirks ("ABC_def" -> "abcDef").
#ifndef LMDBAPI_JSON_FIELD_MASK_PATH_H_
#define LMDBAPI_JSON_FIELD_MASK_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

// Appends the converted `path` to `out` (unquoted, unescaped).
void AppendFieldMaskPath(absl::string_view path, std::string* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_FIELD_MASK_PATH_H_
