// The one serving path of both kinds of process, the table server
// (ServerMain) and the fan-out router (--shards): build the gRPC server
// (credentials, listening port, message limits, the services, reflection
// and health), serve until SIGTERM/SIGINT, then drain.
//
//   sigset_t stop = BlockStopSignals();       // before any thread starts
//   auto credentials = ServerCredentials(config);   // a bad --tls_* file
//   ...build the services...
//   return Serve(config, *credentials, spec, stop);
#ifndef LMDBAPI_SERVER_PROCESS_SERVE_H_
#define LMDBAPI_SERVER_PROCESS_SERVE_H_

#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "server/access/access.h"
#include "server/process/config.h"
#include "server/schema.h"

namespace lmdbapi::server {

// Blocks SIGTERM/SIGINT in every thread (call it before any thread starts)
// so that Serve can wait for them, and SIGHUP, which Serve logs and ignores
// rather than die of it; returns the set to pass to Serve.
sigset_t BlockStopSignals();

// TLS when --tls_cert/--tls_key name readable PEM files, else plaintext;
// mutual TLS with --tls_client_ca. The files are re-read when they change
// (every --tls_reload_seconds). INVALID_ARGUMENT naming the flag for a file
// that is not PEM, or a key that is not the certificate's (CheckTlsFiles).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Config& config);

// The credentials of the server's own calls to other lmdbapi servers (the
// router's shards, a replica's leader): TLS with --peer_ca, verifying the
// peer's certificate and host name, showing --peer_cert (or --tls_cert) when
// given; plaintext otherwise. The files are re-read when they change. Bad
// files: INVALID_ARGUMENT naming the flag (CheckPeerTlsFiles).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const Config& config);

// The full names of the schema's generated services: every table's, then
// Transactions (when the schema has it).
std::vector<std::string> SchemaServiceNames(const Schema& schema);

// What one process serves, and what it does around serving. Everything
// pointed to outlives Serve.
struct ServeSpec {
  std::vector<grpc::Service*> services;  // registered in order
  // Adds to the builder what `services` are not, before it builds (the
  // router's queues).
  std::function<void(grpc::ServerBuilder&)> on_build;
  // Once the server has started, before it is reported serving (the
  // router's threads).
  std::function<void()> on_started;
  // Listed by reflection after grpc.health.v1.Health and reflection itself.
  std::vector<std::string> reflected;
  // Reported SERVING by health (with "", the server) until the stop signal.
  std::vector<std::string> healthy;
  // Installed in the server in order (e.g. CallLimit's counter).
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  // Asked for credentials by reflection unless --open_reflection.
  const access::Access* auth = nullptr;
  // Logged when the server does not start: "cannot listen on <--listen>"
  // followed by this.
  std::string listen_error_detail;
  // Given the server's health service once it serves (to report more
  // services in it, e.g. the index builds).
  std::function<void(grpc::HealthCheckServiceInterface*)> on_health;
  // Logs the process's line once it serves on `host`:`port`.
  std::function<void(const std::string& host, int port)> on_serving;
  // After the stop signal and health's NOT_SERVING, before in-flight calls
  // drain (e.g. ending Watch streams).
  std::function<void()> on_stop;
  // Once every call has drained, the server still built (e.g. closing the
  // database).
  std::function<void()> on_drained;
};

// Builds and starts the server on --listen with `credentials`, writes
// --port_file, serves until a signal of `stop_signals` arrives, then drains
// (health NOT_SERVING, in-flight calls get 10 s) and logs "stopped".
// 0 after the drain; 1 when the server did not start.
int Serve(const Config& config,
          std::shared_ptr<grpc::ServerCredentials> credentials, ServeSpec spec,
          sigset_t stop_signals);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_SERVE_H_
