// Whether a data directory written with one schema may be opened with
// another (docs/STORAGE.md, "Changing the schema"). Database::Open checks it
// against the schema the directory records (storage/stored_schema.h) before
// it writes anything.
//
// Refused, for a table that holds records: a field whose type or
// cardinality changed (fields matched by number, through nested messages),
// a changed primary key field, a changed parent link; and a table that
// holds records and is no longer declared. Compatible: new tables, new
// fields, removed fields (their values stay in the records as unknown
// fields), renamed fields and messages (same number and type), changed
// indexes (rebuilt), a dropped table with no records, and any change to a
// table with no records.
#ifndef LMDBAPI_STORAGE_SCHEMA_CHANGE_H_
#define LMDBAPI_STORAGE_SCHEMA_CHANGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

// The records a stored table holds.
using RecordCount =
    absl::FunctionRef<absl::StatusOr<uint64_t>(const TableSchema& table)>;

// OK when `next` may open the data of `stored` in the directory `dir`;
// else FAILED_PRECONDITION naming, for each problem, the file, the table
// and message, the field with its number, the old and the new type, and
// what to do.
absl::Status CheckSchemaChange(const std::vector<TableSchema>& stored,
                               const std::vector<TableSchema>& next,
                               RecordCount records, absl::string_view dir);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_SCHEMA_CHANGE_H_
