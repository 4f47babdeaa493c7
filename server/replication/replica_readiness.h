// Whether a replica is ready to answer reads (kReadyHealth): not while it
// is catching up. A replica restarted after a long absence, or rebuilt from
// a snapshot, would otherwise answer reads from data far behind its shard's
// while it replays the log; Kubernetes' readiness probe (the gateway's
// /healthz) takes such a pod out of its Service until it is ready.
//
//   catching up = known to be more than `max_lag` committed entries behind
//                 (committed as far as it knows, not yet applied to LMDB)
//              or, since it started, no leader heard of yet and less than
//                 `grace` gone by (until a leader speaks, a replica cannot
//                 know how far behind it is; with no leader at all, say a
//                 lone survivor of its shard, it serves what it has after
//                 the grace)
#ifndef LMDBAPI_SERVER_REPLICATION_REPLICA_READINESS_H_
#define LMDBAPI_SERVER_REPLICATION_REPLICA_READINESS_H_

#include <chrono>
#include <cstdint>

namespace lmdbapi::server {

// The health service (grpc.health.v1) that says whether a server is ready
// for reads: SERVING on every server once it serves, NOT_SERVING on a
// replica while it catches up. The server's "" stays SERVING meanwhile, so
// that a liveness or startup probe on "" does not restart a replica that is
// only catching up.
inline constexpr char kReadyHealth[] = "lmdbapi.ready";

class ReplicaReadiness {
 public:
  using Clock = std::chrono::steady_clock;
  ReplicaReadiness(uint64_t max_lag, Clock::duration grace,
                   Clock::time_point started)
      : max_lag_(max_lag), ready_after_(started + grace) {}

  // What the replica knows now: the highest committed entry, the highest
  // handed to its writer, how many of those its writer has not applied,
  // and whether a leader is known. True when ready.
  bool Update(uint64_t committed, uint64_t handed, uint64_t waiting,
              bool leader_known, Clock::time_point now);

  // Committed entries not applied, as of the last Update.
  uint64_t behind() const { return behind_; }

 private:
  const uint64_t max_lag_;
  const Clock::time_point ready_after_;
  bool heard_leader_ = false;
  uint64_t behind_ = 0;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_REPLICA_READINESS_H_
