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

}  // namespace lmdbapi::server
