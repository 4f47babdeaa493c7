// The Backend of a running server (`lmdbapi SUBCOMMAND --server ADDR`):
// tables, records and their JSON from server reflection, records through
// each table's gRPC service called by name (dynamic messages), and the
// administrative calls through lmdbapi.admin.v1.Admin. See docs/CLI.md.
#ifndef LMDBAPI_CLI_REMOTE_BACKEND_H_
#define LMDBAPI_CLI_REMOTE_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/backend.h"

namespace lmdbapi::cli {

struct RemoteOptions {
  std::string address;  // host:port of the server's gRPC listener
  std::string token;    // bearer token (--token), or empty
  std::string ca_file;  // PEM roots for TLS (--ca); empty: the system's
  std::string cert_file, key_file;  // client certificate (mTLS)
  bool tls = false;                 // TLS (also on with any of the files above)
  // Bounds connecting and each unary call; streams (watch, export, import)
  // have none. Zero: no bound.
  absl::Duration timeout;
};

absl::StatusOr<std::unique_ptr<Backend>> OpenRemoteBackend(
    const RemoteOptions& options);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REMOTE_BACKEND_H_
