// The one place where storage statuses become gRPC statuses.
#ifndef LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_
#define LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace lmdbapi::server {

// absl and gRPC share the canonical codes; UNKNOWN becomes INTERNAL so a
// client never has to guess, and the message is kept as written.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_GRPC_STATUS_H_
