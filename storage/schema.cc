#include "storage/schema.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::FieldDescriptor;

FieldRef Ref(const FieldDescriptor* field) {
  if (field == nullptr) return FieldRef{};
  // The model admits only fields of a kind (keys are strings, revisions
  // integers, times Timestamps, index fields indexable).
  return FieldRef{field, *KindOfField(field)};
}

TableSchema SchemaOf(const model::TableModel& table,
                     const std::vector<model::TableModel>& tables) {
  TableSchema schema;
  schema.name = table.collection;
  schema.descriptor = table.message;
  for (int i = 0; i < table.message->field_count(); ++i) {
    const FieldDescriptor* field = table.message->field(i);
    schema.fields_by_name.emplace(field->name(), field);
  }
  schema.primary_key = Ref(table.primary_key);
  schema.revision = Ref(table.revision);
  schema.create_time = Ref(table.create_time);
  schema.update_time = Ref(table.update_time);
  for (const model::IndexModel& index : table.indexes) {
    IndexSchema resolved{index.name, {}, index.unique, false};
    for (size_t i = 0; i < index.fields.size(); ++i) {
      const std::vector<const FieldDescriptor*>& steps = index.fields[i].steps;
      resolved.fields.push_back(FieldRef{
          steps.back(), index.kinds[i], {steps.begin(), steps.end() - 1}});
    }
    schema.indexes.push_back(std::move(resolved));
  }
  if (!table.is_main()) {
    schema.parent_table = tables[table.parent].collection;
    schema.parent_key = Ref(table.parent_key);
    schema.indexes.push_back(
        IndexSchema{table.ParentLinkIndex(), {schema.parent_key}, false, true});
  }
  return schema;
}

}  // namespace

std::string IndexSchema::Definition() const {
  std::vector<std::string> names;
  for (const FieldRef& f : fields) {
    // "address:4.city:2:string", "tags:3:string[]"; a field of the record
    // that is not repeated keeps the text of before paths ("client:3:string").
    std::string name;
    for (const FieldDescriptor* step : f.path) {
      absl::StrAppend(&name, step->name(), ":", step->number(), ".");
    }
    absl::StrAppend(&name, f.field->name(), ":", f.field->number(), ":",
                    FieldKindName(f.kind), f.repeated() ? "[]" : "");
    names.push_back(std::move(name));
  }
  return absl::StrCat("v1 ", unique ? "unique " : "",
                      parent_link ? "parent " : "", "(",
                      absl::StrJoin(names, ","), ")");
}

const FieldDescriptor* TableSchema::FindField(absl::string_view name) const {
  if (fields_by_name.empty()) {
    return descriptor->FindFieldByName(std::string(name));
  }
  auto it = fields_by_name.find(name);
  return it == fields_by_name.end() ? nullptr : it->second;
}

std::vector<TableSchema> SchemasOf(
    const std::vector<model::TableModel>& tables) {
  std::vector<TableSchema> schemas;
  for (const model::TableModel& table : tables) {
    schemas.push_back(SchemaOf(table, tables));
  }
  return schemas;
}

absl::StatusOr<std::vector<TableSchema>> ResolveSchema(
    const std::vector<TableSpec>& specs) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<model::TableModel> tables,
                           model::Resolve(specs));
  return SchemasOf(tables);
}

absl::StatusOr<TableSchema> ResolveTable(const TableSpec& spec) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<TableSchema> schemas,
                           ResolveSchema({spec}));
  return std::move(schemas[0]);
}

}  // namespace lmdbapi::storage
