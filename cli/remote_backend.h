// The server backend of the `lmdbapi` command: a Backend over a running
// server's gRPC services, found by server reflection (implemented on the
// remote side in cli/remote_backend.cc).
#ifndef LMDBAPI_CLI_REMOTE_BACKEND_H_
#define LMDBAPI_CLI_REMOTE_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/backend.h"

namespace lmdbapi::cli {

// How to reach the server (--server, --token, --tls, --ca_file, --cert_file,
// --key_file, --timeout).
struct RemoteOptions {
  std::string address;  // "127.0.0.1:50051"
  std::string token;    // bearer token for --auth_token servers; empty: none
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool tls = false;
  absl::Duration timeout = absl::Seconds(30);  // per call
};

// Connects to the server and reads its tables by reflection.
absl::StatusOr<std::unique_ptr<Backend>> OpenRemoteBackend(
    const RemoteOptions& options);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REMOTE_BACKEND_H_
