// grpc.health.v1.Health, served by every lmdbapi process in place of gRPC's
// default health service, which is built on gRPC's callback API: a process
// with any callback service runs gRPC's two callback threads, and those poll
// the same sockets as the fan-out router's own threads and wake them for
// every call (docs/BENCHMARKS.md, "The router on its own completion
// queues"). This one is synchronous, and it is also the server's
// HealthCheckServiceInterface (grpc::Server::GetHealthCheckService returns
// it), so the process sets statuses as with gRPC's.
//
//   Check   the status of a service ("" = the server); NOT_FOUND for a
//           service never set
//   Watch   the status now (SERVICE_UNKNOWN for a service never set), then
//           each change, until the caller cancels or the server shuts down
#ifndef LMDBAPI_SERVER_PROCESS_HEALTH_SERVICE_H_
#define LMDBAPI_SERVER_PROCESS_HEALTH_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"

namespace lmdbapi::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  using Response = grpc::health::v1::HealthCheckResponse;

  // Makes the server built by `builder` report statuses through this
  // service (GetHealthCheckService) and serve it; this must outlive that
  // server.
  void InstallIn(grpc::ServerBuilder& builder);

  void SetServingStatus(const std::string& service, bool serving);
  // Every service set so far.
  void SetServingStatus(bool serving);
  // Every service NOT_SERVING from now on, and Watch calls end.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     Response* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<Response>* writer) override;

 private:
  class Control;

  absl::Mutex mu_;
  // The server ("") SERVING from the start, as in gRPC's default service.
  absl::flat_hash_map<std::string, Response::ServingStatus> statuses_
      ABSL_GUARDED_BY(mu_) = {{"", Response::SERVING}};
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // Watch waits for it to move
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_HEALTH_SERVICE_H_
