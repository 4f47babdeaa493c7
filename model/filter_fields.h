// The typed fields of a table's Filter request: one equality per filterable
// record field, plus _min/_max for ordered ones, numbered by the layout in
// model/request_layout.h.
#ifndef LMDBAPI_MODEL_FILTER_FIELDS_H_
#define LMDBAPI_MODEL_FILTER_FIELDS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "model/model.h"

namespace lmdbapi::model {

// INVALID_ARGUMENT (SchemaError) when a record field's number is above
// layout::kMaxFilterableNumber or two filter fields would share a name.
absl::StatusOr<std::vector<FilterField>> FilterFieldsOf(
    const TableModel& table);

}  // namespace lmdbapi::model

#endif  // LMDBAPI_MODEL_FILTER_FIELDS_H_
