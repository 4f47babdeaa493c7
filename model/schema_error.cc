#include "model/schema_error.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace lmdbapi::model {

absl::Status SchemaError(const google::protobuf::Descriptor* message,
                         absl::string_view field, absl::string_view problem) {
  std::string where =
      absl::StrCat(message->file()->name(), ": message ", message->name());
  if (!field.empty()) absl::StrAppend(&where, ", field '", field, "'");
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
}

}  // namespace lmdbapi::model
