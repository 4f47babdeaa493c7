// protoc-gen-lmdbapi: protoc --plugin=protoc-gen-lmdbapi --lmdbapi_out=DIR
// schema.proto
#include <cstdio>
#include <cstring>

#include "codegen/generator.h"
#include "google/protobuf/compiler/plugin.h"
#include "version/version.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("protoc-gen-lmdbapi (lmdbapi) %s\n", lmdbapi::Version());
    return 0;
  }
  lmdbapi::codegen::Generator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
