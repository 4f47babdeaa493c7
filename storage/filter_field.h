// The fields a filter names: a dotted path ("address.city") looked up in a
// table's record message, through singular nested messages only, to a leaf
// that can be compared (a scalar, enum, string, bytes or Timestamp, or a
// repeated one of those). Errors say what is wrong with the path and, for a
// misspelt name, which field was probably meant.
#ifndef LMDBAPI_STORAGE_FILTER_FIELD_H_
#define LMDBAPI_STORAGE_FILTER_FIELD_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/schema.h"
#include "storage/value.h"

namespace lmdbapi::storage::filter {

// The field `path` names, or INVALID_ARGUMENT "filter: column <column>: …":
// "'adress' is not a field of customers (lmdbapi.test.Customer); did you
// mean 'address'?", "'issued.seconds' …: 'issued' is a
// google.protobuf.Timestamp field, compared whole", a server-maintained
// field (revision, create_time, update_time: not stored in records).
absl::StatusOr<FieldRef> ResolveFieldPath(const TableSchema& table,
                                          const std::string& path, int column);

}  // namespace lmdbapi::storage::filter

#endif  // LMDBAPI_STORAGE_FILTER_FIELD_H_
