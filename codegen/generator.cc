#include "codegen/generator.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "codegen/cpp_emitter.h"
#include "codegen/go_emitter.h"
#include "codegen/model.h"
#include "codegen/proto_emitter.h"
#include "google/protobuf/io/zero_copy_stream.h"

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
  absl::StatusOr<SchemaModel> model = BuildModel(file);
  if (!model.ok()) {
    *error = std::string(model.status().message());
    return false;
  }
  Write(context, model->service_proto, EmitServiceProto(*model));
  Write(context, model->base + ".lmdbapi.h", EmitHeader(*model));
  Write(context, model->base + ".lmdbapi.cc", EmitSource(*model));
  Write(context, model->base + ".lmdbapi_main.cc", EmitMain(*model));
  Write(context, model->base + ".gateway_main.go", EmitGatewayMain(*model));
  return true;
}

}  // namespace lmdbapi::codegen
