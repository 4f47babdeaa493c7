// The one format of a schema error, from the plugin and the server alike:
// "<file>: message <Name>, field '<field>': <problem>" (no field part when
// the problem is the message's).
#ifndef LMDBAPI_MODEL_SCHEMA_ERROR_H_
#define LMDBAPI_MODEL_SCHEMA_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace lmdbapi::model {

absl::Status SchemaError(const google::protobuf::Descriptor* message,
                         absl::string_view field, absl::string_view problem);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_SCHEMA_ERROR_H_
