// A query's order_by (Google's AIP-132): a comma-separated list of field
// paths, each optionally followed by `asc` (the default) or `desc`:
//
//   "issued desc, client"        "address.city"        "uuid desc"
//
// Which index serves an order is the planner's question (storage/query.h).
#ifndef LMDBAPI_STORAGE_ORDER_BY_H_
#define LMDBAPI_STORAGE_ORDER_BY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/schema.h"
#include "storage/value.h"

namespace lmdbapi::storage {

struct OrderTerm {
  FieldRef field;
  bool descending = false;
};

// INVALID_ARGUMENT starting "order_by: " and naming the term for an unknown
// field, a repeated or server-maintained one, a field listed twice, or a
// direction other than asc/desc. "" gives no terms.
absl::StatusOr<std::vector<OrderTerm>> ParseOrderBy(const TableSchema& table,
                                                    absl::string_view text);

// The canonical text of `terms`: "issued desc, client".
std::string OrderByText(const std::vector<OrderTerm>& terms);

// True when `a` and `b` name the same field (the same path).
bool SameField(const FieldRef& a, const FieldRef& b);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_ORDER_BY_H_
