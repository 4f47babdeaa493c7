// protoc-gen-lmdbapi's CodeGenerator: model first, then the emitters.
#ifndef LMDBAPI_CODEGEN_GENERATOR_H_
#define LMDBAPI_CODEGEN_GENERATOR_H_

#include <string>

#include "google/protobuf/compiler/code_generator.h"

namespace lmdbapi::codegen {

class Generator : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file,
                const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override;
  uint64_t GetSupportedFeatures() const override {
    return FEATURE_PROTO3_OPTIONAL;
  }
};

}  // namespace lmdbapi::codegen

#endif  // LMDBAPI_CODEGEN_GENERATOR_H_
