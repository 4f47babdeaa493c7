// The one place where storage statuses become gRPC statuses.
#ifndef LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_
#define LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace lmdbapi::server {

// absl and gRPC share the canonical codes; UNKNOWN becomes INTERNAL so a
// client never has to guess, and the message is kept as written. The binary
// error details (trailer grpc-status-details-bin) are a google.rpc.Status
// with a google.rpc.ErrorInfo (domain "lmdbapi", reason: error_details.h
// ReasonFor) on every error, and a google.rpc.BadRequest with one field
// violation (error_details.h FieldOf, the message as its description) when
// the message names a field.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_
