// Reads a schema file's lmdbapi options (proto/lmdbapi/options.proto) into
// table declarations, checking only what the declarations cannot express:
// a field marked twice for one role, and a parent that is not a table.
#ifndef LMDBAPI_MODEL_OPTIONS_H_
#define LMDBAPI_MODEL_OPTIONS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "model/declaration.h"

namespace lmdbapi::model {

// The declarations of the file's messages that have (lmdbapi.table), in
// declaration order. A collection left empty in the options is the message's
// name in snake_case plus "s".
absl::StatusOr<std::vector<TableDecl>> DeclarationsOf(
    const google::protobuf::FileDescriptor* file);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_OPTIONS_H_
