#include "server/replication/replica_health.h"

#include "server/observability/log.h"
#include "server/replication/replica_readiness.h"

namespace lmdbapi::server {

void ReplicaHealth::Attach(grpc::HealthCheckServiceInterface* health) {
  absl::MutexLock lock(&mu_);
  health_ = health;
  Report();
}

void ReplicaHealth::Set(bool ready, uint64_t behind) {
  if (ready) {
    Log(LogLevel::kInfo, "replication: caught up: health SERVING");
  } else {
    Log(LogLevel::kInfo,
        "replication: catching up (%d committed entries to apply, or no "
        "leader heard of since the start): health NOT_SERVING",
        behind);
  }
  absl::MutexLock lock(&mu_);
  ready_ = ready;
  Report();
}

void ReplicaHealth::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

void ReplicaHealth::Report() {
  if (health_ == nullptr || stopped_) return;
  health_->SetServingStatus(kReadyHealth, ready_);
}

}  // namespace lmdbapi::server
