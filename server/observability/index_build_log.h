// Watches the database's online index builds (storage/index_build.h): logs
// each build's start, its progress every few seconds (count, rate, ETA), and
// its end or failure; and reports them to gRPC health as the service
// "lmdbapi.index_builds" (SERVING once no index is building or failed;
// the server itself, "", stays SERVING: it serves while indexes build).
#ifndef LMDBAPI_SERVER_OBSERVABILITY_INDEX_BUILD_LOG_H_
#define LMDBAPI_SERVER_OBSERVABILITY_INDEX_BUILD_LOG_H_

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"
#include "storage/database.h"

namespace lmdbapi::server {

// The health service name that reports the index builds.
inline constexpr char kIndexBuildsHealth[] = "lmdbapi.index_builds";

// One build's progress line: "index permits.by_fee: 412000/1000000 records
// (41%), 95000/s, ETA 6 s". `rate` in records per second (0: unknown).
std::string ProgressLine(const storage::IndexBuildProgress& build, double rate);

class IndexBuildLog {
 public:
  // Polls `db` every `poll`, logging progress at most every `every`.
  explicit IndexBuildLog(const storage::Database* db,
                         absl::Duration poll = absl::Seconds(1),
                         absl::Duration every = absl::Seconds(5));
  ~IndexBuildLog();  // Stop()s.

  // Health to keep up to date (may be set once serving; nullptr: none).
  void set_health(grpc::HealthCheckServiceInterface* health);
  // Stops the thread (idempotent).
  void Stop();

 private:
  struct Seen {
    storage::IndexState state = storage::IndexState::kReady;
    uint64_t built = 0;
    absl::Time since;       // when this build was first seen
    absl::Time logged;      // the last progress line
    uint64_t logged_built;  // built at the last line
  };
  void Run();
  // Logs what changed since the last poll; true when none is unfinished.
  bool Poll(absl::Time now);
  void Report(const storage::IndexBuildProgress& build, Seen& seen,
              absl::Time now);

  const storage::Database* const db_;
  const absl::Duration poll_, every_;
  std::map<std::string, Seen> seen_;  // by "table.index"; the thread's
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::HealthCheckServiceInterface* health_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool finished_ ABSL_GUARDED_BY(mu_) = true;  // the last poll's
  std::thread thread_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_OBSERVABILITY_INDEX_BUILD_LOG_H_
