// How a caller describes its tables to storage (TableSpec), and the validated
// model storage works from (TableSchema). Generated code fills TableSpecs from
// the schema's lmdbapi options; tests write them by hand.
#ifndef LMDBAPI_STORAGE_SCHEMA_H_
#define LMDBAPI_STORAGE_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "model/declaration.h"
#include "model/model.h"
#include "storage/value.h"

namespace lmdbapi::storage {

// How a caller describes its tables (model/declaration.h): generated code
// takes them from the schema's options, tests write them by hand.
using IndexSpec = ::lmdbapi::model::IndexDecl;
using TableSpec = ::lmdbapi::model::TableDecl;

struct IndexSchema {
  std::string name;
  // In key order. Fields of nested messages have a path; at most one field is
  // repeated, and then the index is not unique (model/validate.cc).
  std::vector<FieldRef> fields;
  bool unique = false;
  // The implicit index of a secondary table on its parent key.
  bool parent_link = false;
  // A canonical text of the definition, stored in the meta database so that
  // a changed definition is detected and the index rebuilt.
  std::string Definition() const;
  // The position of the repeated field, or -1 when every field is singular
  // (a record then has exactly one entry).
  int RepeatedField() const {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].repeated()) return static_cast<int>(i);
    }
    return -1;
  }
};

struct TableSchema {
  std::string name;
  const google::protobuf::Descriptor* descriptor = nullptr;
  FieldRef primary_key;
  std::string parent_table;  // empty for a main table
  FieldRef parent_key;       // valid when parent_table is set
  // Server-maintained fields; field == nullptr when the record has none.
  FieldRef revision, create_time, update_time;
  // The declared indexes, then (for a secondary table) the parent link.
  std::vector<IndexSchema> indexes;

  // The record's fields by name (SchemaOf fills it): what FindField reads,
  // less than half the instructions of the descriptor's own lookup.
  absl::flat_hash_map<std::string, const google::protobuf::FieldDescriptor*>
      fields_by_name;

  // Looks a field up by name; nullptr when the record has none. A schema
  // built by hand, without fields_by_name, asks the descriptor.
  const google::protobuf::FieldDescriptor* FindField(
      absl::string_view name) const;
};

// Validates a whole schema by the rules of model::Resolve (errors name the
// file, the message and the field): every table, unique names, parents that
// exist.
absl::StatusOr<std::vector<TableSchema>> ResolveSchema(
    const std::vector<TableSpec>& specs);

// The same for one main table on its own.
absl::StatusOr<TableSchema> ResolveTable(const TableSpec& spec);

// Storage's view of a validated model.
std::vector<TableSchema> SchemasOf(
    const std::vector<model::TableModel>& tables);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_SCHEMA_H_
