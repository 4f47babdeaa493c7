// Base64 as protobuf's JSON printer writes bytes fields: the standard
// alphabet (RFC 4648 section 4) with '=' padding.
#ifndef LMDBAPI_JSON_BASE64_H_
#define LMDBAPI_JSON_BASE64_H_

#include <string>

#include "absl/strings/string_view.h"

namespace lmdbapi::json {

void AppendBase64(absl::string_view bytes, std::string* out);

}  // namespace lmdbapi::json

#endif  // LMDBAPI_JSON_BASE64_H_
