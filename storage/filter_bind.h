// Binding a filter's syntax tree (storage/filter_parser.h) to a table: each
// field path is looked up in the record's message (through singular nested
// messages), each operator is checked against the field's type and each value
// converted to the field's kind. The result is the Expr that the planner and
// Expr::Matches work from.
#ifndef LMDBAPI_STORAGE_FILTER_BIND_H_
#define LMDBAPI_STORAGE_FILTER_BIND_H_

#include "absl/status/statusor.h"
#include "storage/filter_expr.h"
#include "storage/filter_parser.h"
#include "storage/schema.h"

namespace lmdbapi::storage::filter {

// INVALID_ARGUMENT "filter: column N: …" naming the field for an unknown
// field, a path through a repeated or map field, a server-maintained field,
// an operator its type does not support or a value of the wrong type.
absl::StatusOr<Expr> BindFilter(const TableSchema& table,
                                const SyntaxNode& root);

}  // namespace lmdbapi::storage::filter

#endif  // LMDBAPI_STORAGE_FILTER_BIND_H_
