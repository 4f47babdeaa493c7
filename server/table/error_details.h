// What a failed call's gRPC status carries besides code and message: the
// google.rpc.ErrorInfo reason and the field a BadRequest names.
#ifndef LMDBAPI_SERVER_TABLE_ERROR_DETAILS_H_
#define LMDBAPI_SERVER_TABLE_ERROR_DETAILS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::server {

// The ErrorInfo domain of every error the server answers.
inline constexpr absl::string_view kErrorDomain = "lmdbapi";

// The field path a message names, or "" when it names none. Messages name
// fields one way across the storage layer ("field 'fee_cents': ...", see
// storage/status.h At()): the path is the leading request paths a message is
// prefixed with ("writes[2]", "expected_revision") joined by '.', then the
// quoted field, e.g. "writes[2]: field 'fee_cents': ..." ->
// "writes[2].fee_cents", "expected_revision: Permit 'p1' is at ..." ->
// "expected_revision", "record 5: field 'client': ..." -> "client".
std::string FieldOf(absl::string_view message);

// The ErrorInfo reason of a failed status: the one set where the error was
// made (storage::WithReason, e.g. "MAP_FULL"), else one by code:
// INVALID_FIELD (INVALID_ARGUMENT naming a field), REVISION_MISMATCH
// (ABORTED), otherwise the code's name (ALREADY_EXISTS, NOT_FOUND, ...).
std::string ReasonFor(const absl::Status& status);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_ERROR_DETAILS_H_
