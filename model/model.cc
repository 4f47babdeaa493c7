#include "model/model.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/commit_layout.h"
#include "model/options.h"
#include "model/schema_error.h"

namespace lmdbapi::model {
namespace {

// Generated names must not clash with the schema's own messages, nor with
// each other.
absl::Status CheckGeneratedNames(const SchemaModel& model) {
  const google::protobuf::FileDescriptor* file = model.file;
  std::set<std::string> taken;
  for (int m = 0; m < file->message_type_count(); ++m) {
    taken.insert(file->message_type(m)->name());
  }
  for (const TableModel& table : model.tables) {
    for (const std::string& generated : table.GeneratedNames()) {
      if (!taken.insert(generated).second) {
        return SchemaError(
            table.message, "",
            absl::StrCat("the generated name ", generated,
                         " clashes with a message or service of the schema"));
      }
    }
  }
  namespace L = ::lmdbapi::commit_layout;
  for (const char* generated :
       {L::kService, L::kRequest, L::kResponse, L::kWrite, L::kPrecondition,
        L::kKeyRef, L::kResult}) {
    if (!taken.insert(generated).second) {
      const google::protobuf::Descriptor* own =
          file->FindMessageTypeByName(generated);
      return SchemaError(own != nullptr ? own : model.tables[0].message, "",
                         absl::StrCat("the generated name ", generated,
                                      " (of the Transactions service) clashes "
                                      "with a message or service of the "
                                      "schema"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SchemaModel> ModelOf(
    const google::protobuf::FileDescriptor* file) {
  SchemaModel model;
  model.file = file;
  LMDBAPI_ASSIGN_OR_RETURN(model.declarations, DeclarationsOf(file));
  if (model.declarations.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        file->name(), ": no message has the (lmdbapi.table) option"));
  }
  LMDBAPI_ASSIGN_OR_RETURN(model.tables, Resolve(model.declarations));
  LMDBAPI_RETURN_IF_ERROR(CheckGeneratedNames(model));
  return model;
}

}  // namespace lmdbapi::model
