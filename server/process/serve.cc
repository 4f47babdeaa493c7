#include "server/process/serve.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "server/observability/log.h"
#include "server/process/reflection_service.h"

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
}

// Waits for a stop signal, then drains: health NOT_SERVING, on_stop, then
// in-flight calls get 10 s.
void WaitAndDrain(grpc::Server& server, const ServeSpec& spec,
                  sigset_t stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  Log(LogLevel::kInfo, "signal %d: draining in-flight calls", signal_number);
  server.GetHealthCheckService()->SetServingStatus(false);
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
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Config& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  auto read = [](const std::string& flag,
                 const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().find("-----BEGIN") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": '", path, "' is not a readable PEM file"));
    }
    return text.str();
  };
  LMDBAPI_ASSIGN_OR_RETURN(std::string cert, read("tls_cert", config.tls_cert));
  LMDBAPI_ASSIGN_OR_RETURN(std::string key, read("tls_key", config.tls_key));
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(options);
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
  grpc::EnableDefaultHealthCheckService(true);
  std::vector<std::string> names = {"grpc.health.v1.Health",
                                    "grpc.reflection.v1alpha.ServerReflection"};
  names.insert(names.end(), spec.reflected.begin(), spec.reflected.end());
  ReflectionService reflection(names,
                               config.open_reflection ? nullptr : spec.auth);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, std::move(credentials), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  for (grpc::Service* service : spec.services) builder.RegisterService(service);
  builder.RegisterService(&reflection);
  if (spec.generic != nullptr)
    builder.RegisterCallbackGenericService(spec.generic);
  if (!spec.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(spec.interceptors));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(LogLevel::kError, "cannot listen on %s%s", config.listen,
        spec.listen_error_detail);
    return 1;
  }
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
