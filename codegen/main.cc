// protoc-gen-lmdbapi: protoc --plugin=protoc-gen-lmdbapi --lmdbapi_out=DIR
// schema.proto
#include "codegen/generator.h"
#include "google/protobuf/compiler/plugin.h"

int main(int argc, char** argv) {
  lmdbapi::codegen::Generator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
