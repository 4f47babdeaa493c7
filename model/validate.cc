// Every rule a table declaration must follow, stated once: the plugin checks
// them at protoc time (through ModelOf) and storage when a database opens.
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// The message a non-final segment of an index path leads into: a singular
// message field, else an error naming the path.
absl::StatusOr<const Descriptor*> PathMessage(const Check& error,
                                              const IndexDecl& index,
                                              const std::string& path,
                                              const FieldDescriptor* step) {
  std::string problem;
  if (step->is_map()) {
    problem = "is a map; an index path cannot go through a map";
  } else if (step->message_type() == nullptr) {
    problem = "is not a message field, so the path cannot continue after it";
  } else if (step->is_repeated()) {
    problem =
        "is a repeated message field; an index path can only go through "
        "singular message fields";
  } else {
    return step->message_type();
  }
  return error(path, absl::StrCat("index '", index.name, "': '", step->name(),
                                  "' ", problem));
}

// Resolves a dotted index path through the record's messages.
absl::StatusOr<FieldPath> ResolvePath(const Check& error,
                                      const TableModel& table,
                                      const IndexDecl& index,
                                      const std::string& path) {
  FieldPath resolved;
  const Descriptor* message = table.message;
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    if (!resolved.steps.empty()) {
      LMDBAPI_ASSIGN_OR_RETURN(
          message, PathMessage(error, index, path, resolved.leaf()));
    }
    const FieldDescriptor* field =
        message->FindFieldByName(std::string(segment));
    if (field == nullptr && message == table.message && path == segment) {
      return error(path, absl::StrCat("index '", index.name,
                                      "' names no field of the message"));
    }
    if (field == nullptr) {
      return error(path, absl::StrCat("index '", index.name, "': message ",
                                      message->full_name(), " has no field '",
                                      segment, "'"));
    }
    resolved.steps.push_back(field);
  }
  return resolved;
}

absl::StatusOr<FieldPath> IndexField(const Check& error,
                                     const TableModel& table,
                                     const IndexDecl& index,
                                     const std::string& name) {
  LMDBAPI_ASSIGN_OR_RETURN(FieldPath path,
                           ResolvePath(error, table, index, name));
  const FieldDescriptor* field = path.leaf();
  if (!ElementKindOf(field).ok()) {
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
  if (path.steps.size() == 1 && table.IsServerMaintained(field)) {
    return error(name, absl::StrCat("index '", index.name,
                                    "' names a server-maintained field, "
                                    "which stored records do not hold"));
  }
  return path;
}

// At most one repeated field, and none in a unique index.
absl::Status CheckRepeated(const Check& error, const IndexDecl& index,
                           const IndexModel& model, const FieldPath& path) {
  if (!path.repeated()) return absl::OkStatus();
  if (index.unique) {
    return error(path.Name(),
                 absl::StrCat("index '", index.name,
                              "' is unique and the field is repeated; a "
                              "unique index cannot hold a repeated field"));
  }
  if (int first = model.RepeatedField(); first >= 0) {
    return error(path.Name(),
                 absl::StrCat("index '", index.name,
                              "' already holds the repeated field '",
                              model.fields[first].Name(),
                              "'; an index can hold one repeated field, "
                              "not parallel arrays"));
  }
  return absl::OkStatus();
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
    LMDBAPI_ASSIGN_OR_RETURN(FieldPath path,
                             IndexField(error, table, index, name));
    LMDBAPI_RETURN_IF_ERROR(CheckRepeated(error, index, model, path));
    model.kinds.push_back(*ElementKindOf(path.leaf()));
    model.fields.push_back(std::move(path));
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

std::string FieldPath::Name() const {
  std::string name;
  for (const FieldDescriptor* step : steps) {
    absl::StrAppend(&name, name.empty() ? "" : ".", step->name());
  }
  return name;
}

std::vector<std::string> IndexModel::FieldNames() const {
  std::vector<std::string> names;
  for (const FieldPath& f : fields) names.push_back(f.Name());
  return names;
}

int IndexModel::RepeatedField() const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].repeated()) return static_cast<int>(i);
  }
  return -1;
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
