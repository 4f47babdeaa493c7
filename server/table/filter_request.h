// Turns a generated Filter, Paginate or Count request into a storage query:
// its typed per-field constraints as predicates, `filter` and `order_by` as
// text (storage parses and plans them).
//
// The request's layout (model/request_layout.h) says which record field each
// filter field constrains and how: equality, >= (min) or <= (max). Wrapper
// types carry presence; an enum's zero value and an empty plain string mean
// "no constraint".
#ifndef LMDBAPI_SERVER_TABLE_FILTER_REQUEST_H_
#define LMDBAPI_SERVER_TABLE_FILTER_REQUEST_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "storage/query.h"

namespace lmdbapi::server {

// Reads page_size, page_token, filter, order_by (those the request type has)
// and every set typed field. INVALID_ARGUMENT names the field for a negative
// page_size or a malformed Timestamp.
absl::StatusOr<storage::Query> QueryFromRequest(
    const google::protobuf::Message& request,
    const google::protobuf::Descriptor* record);
// The same for a request parsed from `wire`, whose typed fields are found by
// a scan of its tags (model::SetFilterFields): what a raw method does.
absl::StatusOr<storage::Query> QueryFromRequest(
    const google::protobuf::Message& request, absl::string_view wire,
    const google::protobuf::Descriptor* record);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_FILTER_REQUEST_H_
