// The typed fields of a table's Filter (and Count) request: one equality per
// filterable record field, plus _min/_max for ordered ones, numbered by the
// layout in model/request_layout.h.
//
// A typed field is generated only when its name is free: not one of the
// request's own fields (page_size, page_token, filter, order_by, read_mask:
// layout::kListFields) and not taken by another typed field. A record
// field's equality takes its own name before any field's _min/_max does. A
// record field left without a typed field is still filterable through
// `filter` (`page_size = 3`).
#ifndef LMDBAPI_MODEL_FILTER_FIELDS_H_
#define LMDBAPI_MODEL_FILTER_FIELDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model.h"

namespace lmdbapi::model {

// INVALID_ARGUMENT (SchemaError) when a record field's number is above
// layout::kMaxFilterableNumber, or a key is named as a request's own field
// (a parent key named `filter`, a primary key named `read_mask`): the
// generated requests need the key under its own name.
absl::StatusOr<std::vector<FilterField>> FilterFieldsOf(
    const TableModel& table);

// The filterable record fields that got no typed equality field (their name
// is taken): `filter` is the way to constrain them.
std::vector<std::string> UntypedFilterFields(const TableModel& table);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_FILTER_FIELDS_H_
