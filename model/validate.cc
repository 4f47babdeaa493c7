// Every rule a table declaration must follow, stated once: the plugin checks
// them at protoc time (through ModelOf) and storage when a database opens.
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "model/filter_fields.h"
#include "model/model.h"
#include "model/schema_error.h"

namespace lmdbapi::model {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'))
      return false;
  }
  return true;
}

// Errors of one declaration: SchemaError at its message.
class Check {
 public:
  explicit Check(const TableDecl& decl) : decl_(decl) {}
  absl::Status operator()(absl::string_view field,
                          absl::string_view problem) const {
    return SchemaError(decl_.descriptor, field, problem);
  }
  const TableDecl& decl() const { return decl_; }
  const Descriptor* message() const { return decl_.descriptor; }

 private:
  const TableDecl& decl_;
};

absl::StatusOr<const FieldDescriptor*> KeyField(const Check& error,
                                                absl::string_view name,
                                                absl::string_view what) {
  const FieldDescriptor* field =
      error.message()->FindFieldByName(std::string(name));
  if (field == nullptr) {
    return error(name,
                 absl::StrCat("the ", what, " names no field of the message"));
  }
  if (field->is_repeated() || field->type() != FieldDescriptor::TYPE_STRING) {
    return error(
        name, absl::StrCat("the ", what, " must be a singular string field"));
  }
  return field;
}

absl::Status ResolveKeys(const Check& error, TableModel* table) {
  const TableDecl& decl = error.decl();
  if (decl.primary_key.empty()) {
    return error("",
                 "a table needs one string field marked "
                 "[(lmdbapi.field).primary_key = true]");
  }
  LMDBAPI_ASSIGN_OR_RETURN(table->primary_key,
                           KeyField(error, decl.primary_key, "primary key"));
  if (decl.parent_table.empty() && !decl.parent_key.empty()) {
    return error(decl.parent_key,
                 "a parent key in a main table (set the table's parent)");
  }
  if (!decl.parent_table.empty() && decl.parent_key.empty()) {
    return error("", absl::StrCat("a secondary table of ", decl.parent_table,
                                  " needs a string field marked "
                                  "[(lmdbapi.field).parent_key = true]"));
  }
  if (!decl.parent_key.empty()) {
    LMDBAPI_ASSIGN_OR_RETURN(table->parent_key,
                             KeyField(error, decl.parent_key, "parent key"));
  }
  return absl::OkStatus();
}

bool IsTimestamp(const FieldDescriptor* field) {
  return field->message_type() != nullptr &&
         field->message_type()->full_name() == "google.protobuf.Timestamp";
}

absl::Status ResolveServerFields(const Check& error, TableModel* table) {
  const TableDecl& decl = error.decl();
  for (auto [name, slot, what] :
       {std::make_tuple(&decl.revision, &table->revision, "revision"),
        std::make_tuple(&decl.create_time, &table->create_time, "create_time"),
        std::make_tuple(&decl.update_time, &table->update_time,
                        "update_time")}) {
    if (name->empty()) continue;
    const FieldDescriptor* field =
        decl.descriptor->FindFieldByName(std::string(*name));
    if (field == nullptr) {
      return error(*name, absl::StrCat("the ", what,
                                       " field names no field of the message"));
    }
    bool revision = absl::string_view(what) == "revision";
    bool fits = !field->is_repeated() &&
                (revision ? field->type() == FieldDescriptor::TYPE_INT64 ||
                                field->type() == FieldDescriptor::TYPE_UINT64
                          : IsTimestamp(field));
    if (!fits) {
      return error(*name,
                   absl::StrCat("the ", what, " field must be a singular ",
                                revision ? "int64 or uint64"
                                         : "google.protobuf.Timestamp"));
    }
    if (*name == decl.primary_key || *name == decl.parent_key) {
      return error(*name, absl::StrCat("a key cannot also be the ", what));
    }
    *slot = field;
  }
  return absl::OkStatus();
}

absl::StatusOr<const FieldDescriptor*> IndexField(const Check& error,
                                                  const TableModel& table,
                                                  const IndexDecl& index,
                                                  const std::string& name) {
  const FieldDescriptor* field = table.message->FindFieldByName(name);
  if (field == nullptr) {
    return error(name, absl::StrCat("index '", index.name,
                                    "' names no field of the message"));
  }
  if (!KindOfField(field).ok()) {
    return error(name,
                 absl::StrCat("index '", index.name, "': the field's type (",
                              field->is_repeated() ? "repeated " : "",
                              field->message_type() != nullptr
                                  ? field->message_type()->full_name()
                                  : field->type_name(),
                              ") cannot be indexed; use strings, bytes, "
                              "integers, enums, bools, floating point or "
                              "google.protobuf.Timestamp"));
  }
  if (table.IsServerMaintained(field)) {
    return error(name, absl::StrCat("index '", index.name,
                                    "' names a server-maintained field, "
                                    "which stored records do not hold"));
  }
  return field;
}

absl::StatusOr<IndexModel> ResolveIndex(const Check& error,
                                        const TableModel& table,
                                        const IndexDecl& index) {
  if (!IsIdentifier(index.name)) {
    return error("", absl::StrCat("index name '", index.name,
                                  "' must match [a-z0-9_]{1,64}"));
  }
  if (index.fields.empty()) {
    return error("", absl::StrCat("index '", index.name, "' has no fields"));
  }
  if (index.name == table.ParentLinkIndex()) {
    return error("", absl::StrCat("index name '", index.name,
                                  "' is reserved for the parent link"));
  }
  IndexModel model{index.name, {}, {}, index.unique};
  std::set<std::string> seen;
  for (const std::string& name : index.fields) {
    if (!seen.insert(name).second) {
      return error(name,
                   absl::StrCat("appears twice in index '", index.name, "'"));
    }
    LMDBAPI_ASSIGN_OR_RETURN(const FieldDescriptor* field,
                             IndexField(error, table, index, name));
    model.fields.push_back(field);
    model.kinds.push_back(*KindOfField(field));
  }
  return model;
}

absl::StatusOr<TableModel> ResolveTable(const TableDecl& decl) {
  Check error(decl);
  TableModel table;
  table.message = decl.descriptor;
  table.collection = decl.name;
  if (!IsIdentifier(decl.name)) {
    return error("", absl::StrCat("collection '", decl.name,
                                  "' must match [a-z0-9_]{1,64}"));
  }
  LMDBAPI_RETURN_IF_ERROR(ResolveKeys(error, &table));
  LMDBAPI_RETURN_IF_ERROR(ResolveServerFields(error, &table));
  std::set<std::string> names;
  for (const IndexDecl& index : decl.indexes) {
    if (!names.insert(index.name).second) {
      return error("",
                   absl::StrCat("index '", index.name, "' is declared twice"));
    }
    LMDBAPI_ASSIGN_OR_RETURN(IndexModel resolved,
                             ResolveIndex(error, table, index));
    table.indexes.push_back(std::move(resolved));
  }
  LMDBAPI_ASSIGN_OR_RETURN(table.filter_fields, FilterFieldsOf(table));
  return table;
}

// Parents that exist and links that do not loop (cascading deletes follow
// them).
absl::Status LinkParents(const std::vector<TableDecl>& decls,
                         std::vector<TableModel>& tables) {
  absl::flat_hash_map<std::string, int> by_name;
  for (size_t t = 0; t < tables.size(); ++t) by_name[tables[t].collection] = t;
  for (size_t t = 0; t < tables.size(); ++t) {
    const TableDecl& decl = decls[t];
    if (decl.parent_table.empty()) continue;
    auto it = by_name.find(decl.parent_table);
    if (it == by_name.end()) {
      return Check(decl)(decl.parent_key,
                         absl::StrCat("parent table '", decl.parent_table,
                                      "' is not a table of this schema"));
    }
    if (it->second == static_cast<int>(t)) {
      return Check(decl)(decl.parent_key, "a table cannot be its own parent");
    }
    tables[t].parent = it->second;
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    size_t hops = 0;
    for (int p = tables[t].parent; p >= 0; p = tables[p].parent) {
      if (++hops > tables.size()) {
        return Check(decls[t])(decls[t].parent_key,
                               "parent links form a cycle");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool TableModel::IsServerMaintained(const FieldDescriptor* f) const {
  return f != nullptr &&
         (f == revision || f == create_time || f == update_time);
}

std::vector<std::string> IndexModel::FieldNames() const {
  std::vector<std::string> names;
  for (const FieldDescriptor* f : fields) names.push_back(f->name());
  return names;
}

absl::StatusOr<std::vector<TableModel>> Resolve(
    const std::vector<TableDecl>& decls) {
  std::vector<TableModel> tables;
  absl::flat_hash_map<std::string, const Descriptor*> collections;
  for (const TableDecl& decl : decls) {
    if (decl.descriptor == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("table '", decl.name, "': no record message given"));
    }
    if (auto [it, inserted] = collections.emplace(decl.name, decl.descriptor);
        !inserted) {
      return Check(decl)("", absl::StrCat("collection '", decl.name,
                                          "' is already used by message ",
                                          it->second->name()));
    }
    LMDBAPI_ASSIGN_OR_RETURN(TableModel table, ResolveTable(decl));
    tables.push_back(std::move(table));
  }
  LMDBAPI_RETURN_IF_ERROR(LinkParents(decls, tables));
  return tables;
}

}  // namespace lmdbapi::model
