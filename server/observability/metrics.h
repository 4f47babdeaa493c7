// The server's metrics: per-method call counts by status code and latency
// histograms, recorded by every call as it finishes, rendered with the
// database's figures as Prometheus text (lmdbapi.admin.v1.Admin/Metrics;
// the gateway serves it at GET /metrics).
//
// Thread-safe. Record() is lock-free and allocates only on the first call of
// a (service, method) pair; Render() may run concurrently with it (a call
// finishing meanwhile may show in one figure and not yet in another).
#ifndef LMDBAPI_SERVER_OBSERVABILITY_METRICS_H_
#define LMDBAPI_SERVER_OBSERVABILITY_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/database.h"
#include "storage/environment.h"
#include "storage/writer.h"

namespace lmdbapi::server {

// What the database says about itself at one moment.
struct StorageFigures {
  storage::MapInfo map;
  std::vector<storage::DatabaseStats> databases;
  storage::WriterStats writer;
  std::vector<storage::IndexBuildProgress> index_builds;
};

// Collects the figures of `db`: map, databases (one read snapshot), writer,
// index builds.
absl::StatusOr<StorageFigures> CollectStorageFigures(storage::Database& db);

class Metrics {
 public:
  // Upper bounds of the latency buckets, in µs (rendered in seconds); a last
  // bucket, +Inf, takes the rest.
  static constexpr std::array<uint64_t, 14> kBucketMicros = {
      50,    100,   250,   500,    1000,   2500,   5000,
      10000, 25000, 50000, 100000, 250000, 500000, 1000000};
  // Distinct (service, method) pairs kept (a schema has tens); calls of any
  // later one are counted together as service and method "(other)".
  static constexpr size_t kMaxMethods = 512;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished call of `service`.`method` ("Permits", "Get") that took
  // `micros` and ended with `code`.
  void Record(absl::string_view service, absl::string_view method,
              absl::StatusCode code, uint64_t micros);

  // Prometheus text exposition format 0.0.4: lmdbapi_requests_total and
  // lmdbapi_request_duration_seconds of every method called so far, then,
  // when `storage` is given, the LMDB, table and writer figures.
  std::string Render(const StorageFigures* storage = nullptr) const;

 private:
  struct Method;
  static constexpr size_t kSlots = 2 * kMaxMethods;  // open addressing

  // The method's counters, created on its first call.
  Method* Find(absl::string_view service, absl::string_view method);

  // Render's phases: every method so far and "(other)", by service and
  // method; lmdbapi_requests_total; lmdbapi_request_duration_seconds.
  std::vector<const Method*> SortedMethods() const;
  static void RenderRequests(const std::vector<const Method*>& methods,
                             std::string* out);
  void RenderDurations(const std::vector<const Method*>& methods,
                       std::string* out) const;

  std::array<std::atomic<Method*>, kSlots> slots_;
  mutable absl::Mutex mu_;  // serializes creation
  std::vector<std::unique_ptr<Method>> methods_ ABSL_GUARDED_BY(mu_);
  const std::unique_ptr<Method> other_;  // past kMaxMethods
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_OBSERVABILITY_METRICS_H_
