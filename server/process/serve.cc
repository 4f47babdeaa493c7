#include "server/process/serve.h"

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/observability/log.h"
#include "server/process/health_service.h"
#include "server/process/reflection_service.h"
#include "server/process/tls_files.h"
#include "server/replication/replica_readiness.h"

namespace lmdbapi::server {
namespace {

// Writes the bound port to --port_file (atomically), if asked.
void WritePortFile(const Config& config, int port) {
  if (config.port_file.empty()) return;
  std::string tmp = config.port_file + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), config.port_file.c_str());
}

void SetHealth(grpc::Server& server, const std::vector<std::string>& names) {
  auto* health = server.GetHealthCheckService();
  for (const std::string& name : names) health->SetServingStatus(name, true);
  health->SetServingStatus("", true);
  // A replica reports NOT_SERVING here while it catches up (on_health).
  health->SetServingStatus(kReadyHealth, true);
}

// Waits for a stop signal, then drains: health NOT_SERVING, on_stop, then
// in-flight calls get 10 s. SIGHUP, the usual "reload", stops nothing:
// certificates reload by themselves (ServerCredentials) and nothing else
// does, so it is only logged.
void WaitAndDrain(grpc::Server& server, const ServeSpec& spec,
                  sigset_t stop_signals) {
  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 &&
         signal_number == SIGHUP) {
    Log(LogLevel::kInfo,
        "SIGHUP: nothing to do; TLS files are re-read when they change "
        "(--tls_reload_seconds)");
  }
  Log(LogLevel::kInfo, "signal %d: draining in-flight calls", signal_number);
  // Every status NOT_SERVING, and health's Watch calls end.
  server.GetHealthCheckService()->Shutdown();
  if (spec.on_stop) spec.on_stop();
  server.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server.Wait();
  if (spec.on_drained) spec.on_drained();
}

}  // namespace

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Config& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  LMDBAPI_RETURN_IF_ERROR(CheckTlsFiles(config));
  // The watcher re-reads the files every tls_reload_seconds when they
  // changed, so rotating needs no restart. gRPC 1.51 does not check that a
  // new key and certificate match: a reload between the two files of a
  // rotation fails new handshakes until the next one (docs/SERVER.md#tls).
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          config.tls_key, config.tls_cert, config.tls_client_ca,
          config.tls_reload_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config.tls_client_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  // No minimum version to set: gRPC 1.51's TLS credentials know TLS 1.2 and
  // 1.3 only (grpc_tls_version), and 1.2 is their default minimum.
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const Config& config) {
  if (config.peer_ca.empty()) return grpc::InsecureChannelCredentials();
  LMDBAPI_RETURN_IF_ERROR(CheckPeerTlsFiles(config));
  const bool own = !config.peer_cert.empty();
  const std::string& cert = own ? config.peer_cert : config.tls_cert;
  const std::string& key = own ? config.peer_key : config.tls_key;
  using grpc::experimental::FileWatcherCertificateProvider;
  auto provider =
      cert.empty() ? std::make_shared<FileWatcherCertificateProvider>(
                         config.peer_ca, config.tls_reload_seconds)
                   : std::make_shared<FileWatcherCertificateProvider>(
                         key, cert, config.peer_ca, config.tls_reload_seconds);
  // The server's certificate is checked against the CA, and the host the
  // call is made to against its names (gRPC's default call-host check).
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!cert.empty()) options.watch_identity_key_cert_pairs();
  return grpc::experimental::TlsCredentials(options);
}

std::vector<std::string> SchemaServiceNames(const Schema& schema) {
  std::vector<std::string> names;
  for (const ServiceBinding& binding : schema.services) {
    names.push_back(binding.full_name);
  }
  if (!schema.transactions.full_name.empty()) {
    names.push_back(schema.transactions.full_name);
  }
  return names;
}

int Serve(const Config& config,
          std::shared_ptr<grpc::ServerCredentials> credentials, ServeSpec spec,
          sigset_t stop_signals) {
  std::vector<std::string> names = {"grpc.health.v1.Health",
                                    "grpc.reflection.v1alpha.ServerReflection"};
  names.insert(names.end(), spec.reflected.begin(), spec.reflected.end());
  ReflectionService reflection(names,
                               config.open_reflection ? nullptr : spec.auth);
  HealthService health;  // outlives the server
  grpc::ServerBuilder builder;
  health.InstallIn(builder);
  int port = 0;
  builder.AddListeningPort(config.listen, std::move(credentials), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  for (grpc::Service* service : spec.services) builder.RegisterService(service);
  builder.RegisterService(&reflection);
  if (spec.on_build) spec.on_build(builder);
  if (!spec.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(spec.interceptors));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(LogLevel::kError, "cannot listen on %s%s", config.listen,
        spec.listen_error_detail);
    return 1;
  }
  if (spec.on_started) spec.on_started();
  SetHealth(*server, spec.healthy);
  if (spec.on_health) spec.on_health(server->GetHealthCheckService());
  if (spec.on_serving) {
    spec.on_serving(config.listen.substr(0, config.listen.rfind(':')), port);
  }
  WritePortFile(config, port);
  WaitAndDrain(*server, spec, stop_signals);
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace lmdbapi::server
