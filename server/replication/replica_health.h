// A replica's kReadyHealth follows its readiness (replica_readiness.h):
// NOT_SERVING while it catches up, SERVING once it has caught up, until the
// stop signal's drain.
//
//   ReplicaHealth health;
//   options.on_readiness = [&health](bool r, uint64_t b) { health.Set(r, b); };
//   spec.on_health = [&](auto* service) { health.Attach(service); };
//   spec.on_stop = [&] { health.Stop(); };
#ifndef LMDBAPI_SERVER_REPLICATION_REPLICA_HEALTH_H_
#define LMDBAPI_SERVER_REPLICATION_REPLICA_HEALTH_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/health_check_service_interface.h"

namespace lmdbapi::server {

class ReplicaHealth {
 public:
  // The server's health service, once it serves: reports the readiness now.
  void Attach(grpc::HealthCheckServiceInterface* health);
  // A change of readiness (RaftOptions::on_readiness), logged.
  void Set(bool ready, uint64_t behind);
  // The drain has begun: its NOT_SERVING stays.
  void Stop();

 private:
  void Report() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_REPLICA_HEALTH_H_
