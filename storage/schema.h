// How a caller describes its tables to storage (TableSpec), and the validated
// model storage works from (TableSchema). Generated code fills TableSpecs from
// the schema's lmdbapi options; tests write them by hand.
#ifndef LMDBAPI_STORAGE_SCHEMA_H_
#define LMDBAPI_STORAGE_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "storage/value.h"

namespace lmdbapi::storage {

struct IndexSpec {
  std::string name;                 // [a-z0-9_]+, unique within the table
  std::vector<std::string> fields;  // record field names, in key order
  // At most one record per field tuple, among the records that set at least
  // one of the fields (unset values do not clash, as NULLs in SQL).
  bool unique = false;
};

struct TableSpec {
  std::string name;  // collection name, [a-z0-9_]+: "permits"
  // The record message. Must outlive the database.
  const google::protobuf::Descriptor* descriptor = nullptr;
  std::string primary_key;   // a string field; generated (UUIDv7) when empty
  std::string parent_table;  // for a secondary table: the parent's name
  std::string parent_key;    // the field holding the parent's primary key
  std::vector<IndexSpec> indexes;
  // Server-maintained fields (storage/record_version.h), when the record has
  // them: an int64/uint64 revision and google.protobuf.Timestamp times.
  // Neither indexable nor filterable: stored records do not hold them.
  std::string revision;
  std::string create_time;
  std::string update_time;
};

struct IndexSchema {
  std::string name;
  std::vector<FieldRef> fields;
  bool unique = false;
  // The implicit index of a secondary table on its parent key.
  bool parent_link = false;
  // A canonical text of the definition, stored in the meta database so that
  // a changed definition is detected and the index rebuilt.
  std::string Definition() const;
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

  // Looks a field up by name; nullptr when the record has none.
  const google::protobuf::FieldDescriptor* FindField(
      absl::string_view name) const;
};

// Validates one spec against its descriptor. Errors are INVALID_ARGUMENT and
// name the table, the message and the field.
absl::StatusOr<TableSchema> ResolveTable(const TableSpec& spec);

// Validates a whole schema: every table, unique names, parents that exist.
absl::StatusOr<std::vector<TableSchema>> ResolveSchema(
    const std::vector<TableSpec>& specs);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_SCHEMA_H_
