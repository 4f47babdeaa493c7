#include "server/schema.h"

#include "base/status_macros.h"
#include "model/model.h"

namespace lmdbapi::server {

absl::Status DeclareTables(Schema* schema) {
  if (schema->proto == nullptr) {
    return absl::InvalidArgumentError("the schema names no .proto file");
  }
  LMDBAPI_ASSIGN_OR_RETURN(model::SchemaModel model,
                           model::ModelOf(schema->proto));
  schema->tables = std::move(model.declarations);
  return absl::OkStatus();
}

std::unique_ptr<google::protobuf::Message> NewCompiledMessage(
    const google::protobuf::Descriptor* type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

}  // namespace lmdbapi::server
