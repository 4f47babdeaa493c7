// Emits main() of a schema's REST gateway (Go, grpc-gateway 1.6.4): the
// list of the schema's services for the gateway library in gateway/.
#ifndef LMDBAPI_CODEGEN_GO_EMITTER_H_
#define LMDBAPI_CODEGEN_GO_EMITTER_H_

#include <string>

#include "model/model.h"

namespace lmdbapi::codegen {

// The Go import path the build gives the schema's generated Go packages
// (protoc-gen-go, protoc-gen-grpc-gateway): "lmdbapi.gen/<base>".
std::string GoImportPath(const model::SchemaModel& model);

// <base>.gateway_main.go: package main, built in <GoImportPath>/gateway next
// to the OpenAPI file and the Swagger UI assets it embeds.
std::string EmitGatewayMain(const model::SchemaModel& model);

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_GO_EMITTER_H_
