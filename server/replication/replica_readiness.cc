#include "server/replication/replica_readiness.h"

namespace lmdbapi::server {

bool ReplicaReadiness::Update(uint64_t committed, uint64_t handed,
                              uint64_t waiting, bool leader_known,
                              Clock::time_point now) {
  heard_leader_ = heard_leader_ || leader_known;
  behind_ = (committed > handed ? committed - handed : 0) + waiting;
  if (!heard_leader_ && now < ready_after_) return false;
  return behind_ <= max_lag_;
}

}  // namespace lmdbapi::server
