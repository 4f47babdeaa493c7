// Emits the service .proto of a schema: per table a gRPC service with
// request/response messages and google.api.http REST bindings.
#ifndef LMDBAPI_CODEGEN_PROTO_EMITTER_H_
#define LMDBAPI_CODEGEN_PROTO_EMITTER_H_

#include <string>

#include "model/model.h"

namespace lmdbapi::codegen {

std::string EmitServiceProto(const model::SchemaModel& model);

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_PROTO_EMITTER_H_
