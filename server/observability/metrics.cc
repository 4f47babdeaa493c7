#include "server/observability/metrics.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "version/version.h"

namespace lmdbapi::server {
namespace {

// absl::StatusCode runs from OK (0) to UNAUTHENTICATED (16).
constexpr size_t kCodes = 17;

// The le label of each bucket of Metrics::kBucketMicros, in seconds.
constexpr std::array<const char*, Metrics::kBucketMicros.size()> kBucketLe = {
    "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
    "0.01",    "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1"};

std::string Seconds(uint64_t micros) {
  return absl::StrFormat("%.6f", static_cast<double>(micros) / 1e6);
}

// A label value, escaped as the exposition format wants.
std::string Escape(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

// One family of a single unlabelled sample.
template <typename Value>
void Single(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help, const Value& value) {
  Family(out, name, type, help);
  absl::StrAppend(out, name, " ", value, "\n");
}

// The LMDB map and reader figures.
void RenderMap(const storage::MapInfo& map, std::string* out) {
  Single(out, "lmdbapi_lmdb_map_size_bytes", "gauge",
         "Size of the LMDB memory map now (it doubles when full).",
         map.map_size_bytes);
  Single(out, "lmdbapi_lmdb_map_limit_bytes", "gauge",
         "Size the map may grow to (--max_map_size_gb); then writes fail "
         "with RESOURCE_EXHAUSTED.",
         map.max_map_size_bytes);
  Single(out, "lmdbapi_lmdb_used_bytes", "gauge",
         "Bytes of the map in use: (last page number + 1) x page size.",
         map.used_bytes);
  Single(out, "lmdbapi_lmdb_page_size_bytes", "gauge", "LMDB's page size.",
         map.page_size_bytes);
  Single(out, "lmdbapi_lmdb_readers_in_use", "gauge",
         "Reader slots taken (pooled read transactions keep theirs).",
         map.readers_in_use);
  Single(out, "lmdbapi_lmdb_readers_max", "gauge",
         "Reader slots of the lock file (--max_readers, or more when an "
         "earlier run made it larger).",
         map.max_readers);
  Single(out, "lmdbapi_lmdb_last_txn_id", "gauge",
         "Id of the last committed write transaction.", map.last_txn_id);
}

// Records and pages per table (and per index).
void RenderTables(const std::vector<storage::DatabaseStats>& databases,
                  std::string* out) {
  Family(out, "lmdbapi_table_records", "gauge", "Records per table.");
  for (const storage::DatabaseStats& db : databases) {
    if (db.database != db.table) continue;
    absl::StrAppend(out, "lmdbapi_table_records{table=\"", Escape(db.table),
                    "\"} ", db.entries, "\n");
  }
  Family(out, "lmdbapi_table_pages", "gauge",
         "LMDB pages (branch + leaf + overflow) of a table's records "
         "(database = the table) and of each of its indexes.");
  for (const storage::DatabaseStats& db : databases) {
    absl::StrAppend(out, "lmdbapi_table_pages{table=\"", Escape(db.table),
                    "\",database=\"", Escape(db.database), "\"} ", db.pages,
                    "\n");
  }
}

// Every index's build state (one sample of 1 per index, at its state) and,
// while it is not ready, its progress.
void RenderIndexBuilds(const std::vector<storage::IndexBuildProgress>& builds,
                       std::string* out) {
  Family(out, "lmdbapi_index_state", "gauge",
         "1 for each index at its state: ready, building (online, not yet "
         "used by queries) or failed (never used; see the server log).");
  for (const storage::IndexBuildProgress& b : builds) {
    absl::StrAppend(out, "lmdbapi_index_state{table=\"", Escape(b.table),
                    "\",index=\"", Escape(b.index), "\",state=\"",
                    storage::IndexStateName(b.state), "\"} 1\n");
  }
  Family(out, "lmdbapi_index_build_records", "gauge",
         "An online index build's progress: records indexed so far (kind = "
         "built) and records in the table when it started (kind = total).");
  for (const storage::IndexBuildProgress& b : builds) {
    if (b.state != storage::IndexState::kBuilding) continue;
    for (auto [kind, n] : {std::pair<const char*, uint64_t>{"built", b.built},
                           {"total", b.total}}) {
      absl::StrAppend(out, "lmdbapi_index_build_records{table=\"",
                      Escape(b.table), "\",index=\"", Escape(b.index),
                      "\",kind=\"", kind, "\"} ", n, "\n");
    }
  }
}

// The group-commit writer's counters.
void RenderWriter(const storage::WriterStats& w, std::string* out) {
  Single(out, "lmdbapi_writer_commits_total", "counter",
         "Transactions the group-commit writer committed (one per batch).",
         w.batches);
  Single(out, "lmdbapi_writer_writes_total", "counter",
         "Write operations the writer answered.", w.operations);
  Single(out, "lmdbapi_writer_last_batch_size", "gauge",
         "Write operations in the last committed batch.", w.last_batch_size);
  Single(out, "lmdbapi_writer_map_growths_total", "counter",
         "Times the map grew because a batch found it full.", w.map_growths);
  Single(out, "lmdbapi_writer_nested_reruns_total", "counter",
         "Batches rolled back because an operation failed and run again with "
         "a nested transaction per operation.",
         w.nested_reruns);
  Single(out, "lmdbapi_writer_apply_seconds_total", "counter",
         "Time the writer spent applying operations.", Seconds(w.apply_micros));
  Single(out, "lmdbapi_writer_commit_seconds_total", "counter",
         "Time the writer spent committing (fsync included).",
         Seconds(w.commit_micros));
  Single(out, "lmdbapi_writer_answer_seconds_total", "counter",
         "Time the writer spent handing outcomes to the callers.",
         Seconds(w.done_micros));
  if (!w.replicated) return;
  const struct {
    const char* name;
    const char* help;
    uint64_t value;
  } replica[] = {
      {"lmdbapi_replication_applied_entries",
       "Log entries this replica applied: its place in its shard's log.",
       w.applied_entries},
      {"lmdbapi_replication_entries_waiting",
       "Committed log entries handed to this replica's writer and not "
       "applied yet (at most 64).",
       w.entries_waiting}};
  for (const auto& gauge : replica) {
    Single(out, gauge.name, "gauge", gauge.help, gauge.value);
  }
}

// Counters are sharded by thread, each shard on its own cache lines, so
// that threads finishing calls of one method at once do not contend.
constexpr size_t kShards = 8;

// Each thread's shard, handed out round robin.
size_t ThisThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace

struct Metrics::Method {
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kCodes> codes{};
    // Per bucket, not cumulative; the last one is +Inf.
    std::array<std::atomic<uint64_t>, kBucketMicros.size() + 1> buckets{};
    std::atomic<uint64_t> sum_micros{0};
  };
  Method(absl::string_view service, absl::string_view method)
      : service(service), method(method) {}
  uint64_t code(size_t c) const {
    uint64_t n = 0;
    for (const Shard& s : shards)
      n += s.codes[c].load(std::memory_order_relaxed);
    return n;
  }
  uint64_t bucket(size_t b) const {
    uint64_t n = 0;
    for (const Shard& s : shards)
      n += s.buckets[b].load(std::memory_order_relaxed);
    return n;
  }
  uint64_t sum_micros() const {
    uint64_t n = 0;
    for (const Shard& s : shards)
      n += s.sum_micros.load(std::memory_order_relaxed);
    return n;
  }
  const std::string service;
  const std::string method;
  std::array<Shard, kShards> shards;
};

Metrics::Metrics() : other_(std::make_unique<Method>("(other)", "(other)")) {
  for (auto& slot : slots_) slot.store(nullptr, std::memory_order_relaxed);
}

Metrics::~Metrics() = default;

Metrics::Method* Metrics::Find(absl::string_view service,
                               absl::string_view method) {
  const size_t hash =
      absl::Hash<std::pair<absl::string_view, absl::string_view>>{}(
          std::make_pair(service, method));
  // Slots only ever go from empty to a method, so a reader that meets an
  // empty slot knows the method is not there (yet).
  size_t i = hash % kSlots;
  for (Method* m; (m = slots_[i].load(std::memory_order_acquire)) != nullptr;
       i = (i + 1) % kSlots) {
    if (m->service == service && m->method == method) return m;
  }
  absl::MutexLock lock(&mu_);
  // Another first call may have added it meanwhile; the table is never more
  // than half full, so the probe ends on an empty slot.
  for (Method* m; (m = slots_[i].load(std::memory_order_relaxed)) != nullptr;
       i = (i + 1) % kSlots) {
    if (m->service == service && m->method == method) return m;
  }
  if (methods_.size() >= kMaxMethods) return other_.get();
  methods_.push_back(std::make_unique<Method>(service, method));
  slots_[i].store(methods_.back().get(), std::memory_order_release);
  return methods_.back().get();
}

void Metrics::Record(absl::string_view service, absl::string_view method,
                     absl::StatusCode code, uint64_t micros) {
  Method* m = Find(service, method);
  size_t c = static_cast<size_t>(code);
  if (c >= kCodes) c = static_cast<size_t>(absl::StatusCode::kUnknown);
  size_t bucket =
      std::lower_bound(kBucketMicros.begin(), kBucketMicros.end(), micros) -
      kBucketMicros.begin();
  Method::Shard& shard = m->shards[ThisThreadShard()];
  shard.codes[c].fetch_add(1, std::memory_order_relaxed);
  shard.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  shard.sum_micros.fetch_add(micros, std::memory_order_relaxed);
}

std::vector<const Metrics::Method*> Metrics::SortedMethods() const {
  std::vector<const Method*> methods;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& m : methods_) methods.push_back(m.get());
  }
  methods.push_back(other_.get());
  std::sort(methods.begin(), methods.end(),
            [](const Method* a, const Method* b) {
              return std::tie(a->service, a->method) <
                     std::tie(b->service, b->method);
            });
  return methods;
}

void Metrics::RenderRequests(const std::vector<const Method*>& methods,
                             std::string* out) {
  Family(out, "lmdbapi_requests_total", "counter",
         "Calls finished, by service, method and gRPC status code.");
  for (const Method* m : methods) {
    for (size_t c = 0; c < kCodes; ++c) {
      uint64_t n = m->code(c);
      if (n == 0) continue;
      absl::StrAppend(
          out, "lmdbapi_requests_total{service=\"", Escape(m->service),
          "\",method=\"", Escape(m->method), "\",code=\"",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(c)), "\"} ", n,
          "\n");
    }
  }
}

void Metrics::RenderDurations(const std::vector<const Method*>& methods,
                              std::string* out) const {
  Family(out, "lmdbapi_request_duration_seconds", "histogram",
         "Time from a call's arrival to its answer (a write's: once durable).");
  for (const Method* m : methods) {
    // Each bucket read once: _count is the +Inf bucket, consistent with
    // the others even while calls finish.
    std::array<uint64_t, kBucketMicros.size() + 1> counts;
    uint64_t total = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
      counts[b] = m->bucket(b);
      total += counts[b];
    }
    if (m == other_.get() && total == 0) continue;
    std::string labels = absl::StrCat("service=\"", Escape(m->service),
                                      "\",method=\"", Escape(m->method), "\"");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < counts.size(); ++b) {
      cumulative += counts[b];
      absl::StrAppend(out, "lmdbapi_request_duration_seconds_bucket{", labels,
                      ",le=\"", b < kBucketLe.size() ? kBucketLe[b] : "+Inf",
                      "\"} ", cumulative, "\n");
    }
    absl::StrAppend(out, "lmdbapi_request_duration_seconds_sum{", labels, "} ",
                    Seconds(m->sum_micros()), "\n",
                    "lmdbapi_request_duration_seconds_count{", labels, "} ",
                    cumulative, "\n");
  }
}

std::string Metrics::Render(const StorageFigures* storage) const {
  std::vector<const Method*> methods = SortedMethods();
  std::string out;
  Family(&out, "lmdbapi_build_info", "gauge",
         "Always 1; its version label is lmdbapi's release (VERSION).");
  absl::StrAppend(&out, "lmdbapi_build_info{version=\"", Escape(Version()),
                  "\"} 1\n");
  RenderRequests(methods, &out);
  RenderDurations(methods, &out);
  if (storage == nullptr) return out;
  RenderMap(storage->map, &out);
  RenderTables(storage->databases, &out);
  RenderIndexBuilds(storage->index_builds, &out);
  RenderWriter(storage->writer, &out);
  return out;
}

absl::StatusOr<StorageFigures> CollectStorageFigures(storage::Database& db) {
  StorageFigures figures;
  LMDBAPI_ASSIGN_OR_RETURN(figures.databases, db.Stats());
  figures.map = db.env().Info();
  figures.writer = db.writer().stats();
  figures.index_builds = db.IndexBuilds();
  return figures;
}

}  // namespace lmdbapi::server
