// Emits the C++ that binds a schema's tables to storage/ and implements
// their gRPC services through server/table_service.h, plus a main().
#ifndef LMDBAPI_CODEGEN_CPP_EMITTER_H_
#define LMDBAPI_CODEGEN_CPP_EMITTER_H_

#include <string>

#include "model/model.h"

namespace lmdbapi::codegen {

std::string EmitHeader(const model::SchemaModel& model);  // <base>.lmdbapi.h
std::string EmitSource(const model::SchemaModel& model);  // <base>.lmdbapi.cc
std::string EmitMain(
    const model::SchemaModel& model);  // <base>.lmdbapi_main.cc

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_CPP_EMITTER_H_
