#include "storage/schema.h"

#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

absl::Status SpecError(const TableSpec& spec, absl::string_view field,
                       absl::string_view problem) {
  std::string where = absl::StrCat("table '", spec.name, "'");
  if (spec.descriptor != nullptr) {
    absl::StrAppend(&where, " (message ", spec.descriptor->full_name(), ")");
  }
  if (!field.empty()) absl::StrAppend(&where, ", field '", field, "'");
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
}

absl::StatusOr<FieldRef> ResolveField(const TableSpec& spec,
                                      absl::string_view name,
                                      absl::string_view role) {
  const FieldDescriptor* field =
      spec.descriptor->FindFieldByName(std::string(name));
  if (field == nullptr) {
    return SpecError(spec, name,
                     absl::StrCat(role, " names no field of the message"));
  }
  absl::StatusOr<FieldKind> kind = KindOfField(field);
  if (!kind.ok()) return SpecError(spec, name, kind.status().message());
  return FieldRef{field, *kind};
}

}  // namespace

std::string IndexSchema::Definition() const {
  std::vector<std::string> names;
  for (const FieldRef& f : fields) {
    names.push_back(absl::StrCat(f.field->name(), ":", f.field->number(), ":",
                                 FieldKindName(f.kind)));
  }
  return absl::StrCat("v1 ", unique ? "unique " : "",
                      parent_link ? "parent " : "", "(",
                      absl::StrJoin(names, ","), ")");
}

const FieldDescriptor* TableSchema::FindField(absl::string_view name) const {
  return descriptor->FindFieldByName(std::string(name));
}

absl::StatusOr<TableSchema> ResolveTable(const TableSpec& spec) {
  if (!IsIdentifier(spec.name)) {
    return SpecError(spec, "", "a table name must match [a-z0-9_]{1,64}");
  }
  if (spec.descriptor == nullptr) {
    return SpecError(spec, "", "no record message given");
  }
  TableSchema schema;
  schema.name = spec.name;
  schema.descriptor = spec.descriptor;

  absl::StatusOr<FieldRef> pk =
      ResolveField(spec, spec.primary_key, "the primary key");
  if (!pk.ok()) return pk.status();
  if (pk->kind != FieldKind::kString) {
    return SpecError(spec, spec.primary_key,
                     "the primary key must be a string or bytes field");
  }
  schema.primary_key = *pk;

  for (auto [name, ref, what] :
       {std::make_tuple(&spec.revision, &schema.revision, "revision"),
        std::make_tuple(&spec.create_time, &schema.create_time, "create_time"),
        std::make_tuple(&spec.update_time, &schema.update_time,
                        "update_time")}) {
    if (name->empty()) continue;
    absl::StatusOr<FieldRef> field = ResolveField(spec, *name, what);
    if (!field.ok()) return field.status();
    bool revision = absl::string_view(what) == "revision";
    const auto cpp = field->field->cpp_type();
    if (revision ? cpp != FieldDescriptor::CPPTYPE_INT64 &&
                       cpp != FieldDescriptor::CPPTYPE_UINT64
                 : field->kind != FieldKind::kTimestamp) {
      return SpecError(spec, *name,
                       absl::StrCat("the ", what, " must be ",
                                    revision ? "an int64 or uint64 field"
                                             : "a google.protobuf.Timestamp"));
    }
    if (*name == spec.primary_key || *name == spec.parent_key) {
      return SpecError(spec, *name,
                       absl::StrCat("a key cannot also be the ", what));
    }
    *ref = *field;
  }

  absl::flat_hash_set<std::string> index_names;
  for (const IndexSpec& index : spec.indexes) {
    if (!IsIdentifier(index.name)) {
      return SpecError(spec, "",
                       absl::StrCat("index name '", index.name,
                                    "' must match [a-z0-9_]{1,64}"));
    }
    if (!index_names.insert(index.name).second) {
      return SpecError(
          spec, "", absl::StrCat("index '", index.name, "' is declared twice"));
    }
    if (index.fields.empty()) {
      return SpecError(spec, "",
                       absl::StrCat("index '", index.name, "' has no fields"));
    }
    IndexSchema resolved{index.name, {}, index.unique, false};
    absl::flat_hash_set<std::string> seen;
    for (const std::string& name : index.fields) {
      if (!seen.insert(name).second) {
        return SpecError(
            spec, name,
            absl::StrCat("appears twice in index '", index.name, "'"));
      }
      absl::StatusOr<FieldRef> field =
          ResolveField(spec, name, absl::StrCat("index '", index.name, "'"));
      if (!field.ok()) return field.status();
      if (name == spec.revision || name == spec.create_time ||
          name == spec.update_time) {
        return SpecError(
            spec, name,
            absl::StrCat("index '", index.name,
                         "' names a server-maintained field, which stored "
                         "records do not hold"));
      }
      resolved.fields.push_back(*field);
    }
    schema.indexes.push_back(std::move(resolved));
  }

  if (spec.parent_table.empty() != spec.parent_key.empty()) {
    return SpecError(spec, spec.parent_key,
                     "a secondary table needs both a parent table and a "
                     "parent key field");
  }
  if (!spec.parent_table.empty()) {
    absl::StatusOr<FieldRef> parent_key =
        ResolveField(spec, spec.parent_key, "the parent key");
    if (!parent_key.ok()) return parent_key.status();
    if (parent_key->kind != FieldKind::kString) {
      return SpecError(spec, spec.parent_key,
                       "the parent key must be a string or bytes field");
    }
    schema.parent_table = spec.parent_table;
    schema.parent_key = *parent_key;
    std::string link_name = absl::StrCat("by_", spec.parent_key);
    if (index_names.contains(link_name)) {
      return SpecError(spec, "",
                       absl::StrCat("index name '", link_name,
                                    "' is reserved for the parent link"));
    }
    schema.indexes.push_back(
        IndexSchema{link_name, {*parent_key}, false, true});
  }
  return schema;
}

absl::StatusOr<std::vector<TableSchema>> ResolveSchema(
    const std::vector<TableSpec>& specs) {
  std::vector<TableSchema> tables;
  absl::flat_hash_set<std::string> names;
  for (const TableSpec& spec : specs) {
    absl::StatusOr<TableSchema> table = ResolveTable(spec);
    if (!table.ok()) return table.status();
    if (!names.insert(table->name).second) {
      return SpecError(spec, "", "another table has the same name");
    }
    tables.push_back(*std::move(table));
  }
  for (const TableSpec& spec : specs) {
    if (spec.parent_table.empty()) continue;
    if (!names.contains(spec.parent_table)) {
      return SpecError(spec, spec.parent_key,
                       absl::StrCat("parent table '", spec.parent_table,
                                    "' is not a table of this schema"));
    }
    if (spec.parent_table == spec.name) {
      return SpecError(spec, spec.parent_key,
                       "a table cannot be its own parent");
    }
  }
  // Cascading deletes follow parent links, so the links must not loop.
  for (const TableSpec& spec : specs) {
    std::string parent = spec.parent_table;
    for (size_t hops = 0; !parent.empty(); ++hops) {
      if (hops > specs.size()) {
        return SpecError(spec, spec.parent_key, "parent links form a cycle");
      }
      std::string next;
      for (const TableSpec& other : specs) {
        if (other.name == parent) next = other.parent_table;
      }
      parent = next;
    }
  }
  return tables;
}

}  // namespace lmdbapi::storage
