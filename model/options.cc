#include "model/options.h"

#include <tuple>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/case.h"
#include "model/schema_error.h"
#include "proto/lmdbapi/options.pb.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Records that `field` has a role, refusing a second field with the same one.
absl::Status Mark(const FieldDescriptor* field, absl::string_view what,
                  std::string* slot) {
  if (!slot->empty()) {
    return SchemaError(
        field->containing_type(), field->name(),
        absl::StrCat("a second ", what, " (the first is '", *slot, "')"));
  }
  *slot = field->name();
  return absl::OkStatus();
}

absl::Status ReadFieldRoles(const Descriptor* message, TableDecl* decl) {
  for (int f = 0; f < message->field_count(); ++f) {
    const FieldDescriptor* field = message->field(f);
    const lmdbapi::Field& role = field->options().GetExtension(lmdbapi::field);
    for (auto [marked, what, slot] :
         {std::make_tuple(role.primary_key(), "primary key",
                          &decl->primary_key),
          std::make_tuple(role.parent_key(), "parent key", &decl->parent_key),
          std::make_tuple(role.revision(), "revision field", &decl->revision),
          std::make_tuple(role.create_time(), "create_time field",
                          &decl->create_time),
          std::make_tuple(role.update_time(), "update_time field",
                          &decl->update_time)}) {
      if (marked) LMDBAPI_RETURN_IF_ERROR(Mark(field, what, slot));
    }
  }
  return absl::OkStatus();
}

TableDecl Declare(const Descriptor* message, const lmdbapi::Table& options) {
  TableDecl decl;
  decl.descriptor = message;
  decl.name = options.collection().empty() ? SnakeCase(message->name()) + "s"
                                           : options.collection();
  for (const lmdbapi::Index& index : options.indexes()) {
    decl.indexes.push_back({index.name(),
                            {index.fields().begin(), index.fields().end()},
                            index.unique()});
  }
  return decl;
}

// The parent's collection, from the message name the options give.
absl::StatusOr<std::string> ParentCollection(
    const TableDecl& decl, const std::string& parent,
    const std::vector<TableDecl>& decls) {
  for (const TableDecl& other : decls) {
    if (other.descriptor->name() == parent) return other.name;
  }
  const Descriptor* other =
      decl.descriptor->file()->FindMessageTypeByName(parent);
  return SchemaError(
      decl.descriptor, decl.parent_key,
      other != nullptr
          ? absl::StrCat("parent ", parent,
                         " is not a table (it has no (lmdbapi.table) option)")
          : absl::StrCat("parent ", parent, " is not a message of this file"));
}

}  // namespace

absl::StatusOr<std::vector<TableDecl>> DeclarationsOf(
    const FileDescriptor* file) {
  std::vector<TableDecl> decls;
  for (int m = 0; m < file->message_type_count(); ++m) {
    const Descriptor* message = file->message_type(m);
    if (!message->options().HasExtension(lmdbapi::table)) continue;
    decls.push_back(
        Declare(message, message->options().GetExtension(lmdbapi::table)));
    LMDBAPI_RETURN_IF_ERROR(ReadFieldRoles(message, &decls.back()));
  }
  for (TableDecl& decl : decls) {
    const std::string& parent =
        decl.descriptor->options().GetExtension(lmdbapi::table).parent();
    if (parent.empty()) continue;
    LMDBAPI_ASSIGN_OR_RETURN(decl.parent_table,
                             ParentCollection(decl, parent, decls));
  }
  return decls;
}

}  // namespace lmdbapi::model
