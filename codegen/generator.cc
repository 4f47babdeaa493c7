#include "codegen/generator.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/strip.h"
#include "codegen/cpp_emitter.h"
#include "codegen/go_emitter.h"
#include "codegen/proto_emitter.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "model/model.h"

namespace lmdbapi::codegen {
namespace {

void Write(google::protobuf::compiler::GeneratorContext* context,
           const std::string& name, const std::string& text) {
  std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
      context->Open(name));
  void* data;
  int size;
  size_t written = 0;
  while (written < text.size() && out->Next(&data, &size)) {
    size_t n = std::min(static_cast<size_t>(size), text.size() - written);
    memcpy(data, text.data() + written, n);
    written += n;
    if (n < static_cast<size_t>(size)) out->BackUp(size - static_cast<int>(n));
  }
}

}  // namespace

bool Generator::Generate(const google::protobuf::FileDescriptor* file,
                         const std::string& parameter,
                         google::protobuf::compiler::GeneratorContext* context,
                         std::string* error) const {
  absl::StatusOr<model::SchemaModel> schema = model::ModelOf(file);
  if (!schema.ok()) {
    // protoc prints "<file>: " before the plugin's error; say it once.
    absl::string_view message = schema.status().message();
    absl::ConsumePrefix(&message, file->name() + ": ");
    *error = std::string(message);
    return false;
  }
  Write(context, schema->service_proto(), EmitServiceProto(*schema));
  Write(context, schema->base() + ".lmdbapi.h", EmitHeader(*schema));
  Write(context, schema->base() + ".lmdbapi.cc", EmitSource(*schema));
  Write(context, schema->base() + ".lmdbapi_main.cc", EmitMain(*schema));
  Write(context, schema->base() + ".gateway_main.go", EmitGatewayMain(*schema));
  return true;
}

}  // namespace lmdbapi::codegen
