// Metrics benchmark: what one finished call does to the server's metrics
// (server/observability/metrics.h: lmdbapi_requests_total{service,method,code} += 1 and
// one observation of lmdbapi_request_duration_seconds{service,method}, 14
// buckets + Inf), and rendering the exposition text, with lmdbapi's own
// registry and with prometheus-cpp's (Registry/Family/Counter/Histogram),
// measured in the same run, alternately. Prints one Markdown table. Not a
// test: it asserts nothing about speed.
// Usage: metrics_bench [--quick]
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/observability/metrics.h"

namespace lmdbapi::bench {
namespace {

using Clock = std::chrono::steady_clock;
using server::Metrics;

// This thread's CPU time in ns: what a call costs, without the time the
// thread spends preempted (the machine may be busy with other work).
double ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// 20 (service, method) pairs as a server with three tables has them (the
// table services' method names, Commit, Admin) and 5 status codes.
constexpr int kMethods = 20;
constexpr int kCodes = 5;
const std::string kServices[kMethods] = {
    "Permits",     "Permits",     "Permits",     "Permits",     "Permits",
    "Permits",     "Permits",     "Inspections", "Inspections", "Inspections",
    "Inspections", "Inspections", "Inspections", "Inspections", "Clients",
    "Clients",     "Clients",     "Clients",     "Commit",      "Admin"};
const char* const kMethodNames[kMethods] = {
    "Get", "Insert", "Update", "Patch",  "Delete", "BatchInsert", "Filter",
    "Get", "Insert", "Update", "Patch",  "Delete", "BatchInsert", "Filter",
    "Get", "Insert", "Update", "Filter", "Commit", "Metrics"};
constexpr absl::StatusCode kCodeList[kCodes] = {
    absl::StatusCode::kOk, absl::StatusCode::kNotFound,
    absl::StatusCode::kInvalidArgument, absl::StatusCode::kFailedPrecondition,
    absl::StatusCode::kUnauthenticated};

// One finished call, as the server's Finish() has it.
struct Call {
  int method;  // index into kServices/kMethodNames
  int code;    // index into kCodeList
  uint64_t micros;
};

// kCallCount calls: methods uniform, 80% OK, latencies log-uniform from
// 10 µs to 2 s (every bucket, +Inf included, is hit). `hot`: all calls are
// Permits.Get OK (one series, the worst case for contention).
constexpr size_t kCallCount = 4096;
std::vector<Call> MakeCalls(bool hot) {
  std::vector<Call> calls;
  uint64_t x = 88172645463325252ull;  // xorshift64
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (size_t i = 0; i < kCallCount; ++i) {
    Call c;
    c.method = hot ? 0 : static_cast<int>(next() % kMethods);
    uint64_t r = next() % 100;
    c.code = hot || r < 80 ? 0 : 1 + static_cast<int>(r % (kCodes - 1));
    double exponent = 1.0 + 5.3 * static_cast<double>(next() % 10000) / 1e4;
    c.micros = static_cast<uint64_t>(std::pow(10.0, exponent));
    calls.push_back(c);
  }
  return calls;
}

// lmdbapi's Metrics::kBucketMicros in seconds, for prometheus-cpp.
prometheus::Histogram::BucketBoundaries Buckets() {
  prometheus::Histogram::BucketBoundaries b;
  for (uint64_t micros : Metrics::kBucketMicros) b.push_back(micros / 1e6);
  return b;
}

// The same two families as lmdbapi renders, in prometheus-cpp.
struct Prom {
  Prom()
      : registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("lmdbapi_requests_total")
                     .Help("Calls finished, by service, method and gRPC "
                           "status code.")
                     .Register(*registry)),
        duration(prometheus::BuildHistogram()
                     .Name("lmdbapi_request_duration_seconds")
                     .Help("Time from a call's arrival to its answer (a "
                           "write's: once durable).")
                     .Register(*registry)),
        buckets(Buckets()) {
    for (int m = 0; m < kMethods; ++m) {
      for (int c = 0; c < kCodes; ++c) {
        counters[m][c] =
            &requests.Add({{"service", kServices[m]},
                           {"method", kMethodNames[m]},
                           {"code", absl::StatusCodeToString(kCodeList[c])}});
      }
      histograms[m] = &duration.Add(
          {{"service", kServices[m]}, {"method", kMethodNames[m]}}, buckets);
    }
  }

  // What a server without cached handles does in Finish(): look both series
  // up by their labels, then count.
  void RecordLookup(const std::string& service, const char* method,
                    absl::StatusCode code, uint64_t micros) {
    requests
        .Add({{"service", service},
              {"method", method},
              {"code", absl::StatusCodeToString(code)}})
        .Increment();
    duration.Add({{"service", service}, {"method", method}}, buckets)
        .Observe(static_cast<double>(micros) / 1e6);
  }

  // With the handles resolved once (per method at registration).
  void RecordCached(int method, int code, uint64_t micros) {
    counters[method][code]->Increment();
    histograms[method]->Observe(static_cast<double>(micros) / 1e6);
  }

  std::string Render() const {
    return prometheus::TextSerializer().Serialize(registry->Collect());
  }

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& duration;
  const prometheus::Histogram::BucketBoundaries buckets;
  prometheus::Counter* counters[kMethods][kCodes];
  prometheus::Histogram* histograms[kMethods];
};

// Bounds of every measurement.
struct Budget {
  double seconds;      // per repetition
  uint64_t max_calls;  // per thread and repetition
  int repetitions;
};

// Of the runs with 2 threads: the threads' CPU time and wall time, summed
// (their ratio says how much of the time they really ran at once).
double multi_cpu_ns = 0, multi_wall_ns = 0;

// ns per call of `record(const Call&)` in `threads` threads at once, each
// going through `calls` (from its own offset) until the budget's time or
// call count is spent: each thread's CPU time / its calls, averaged.
template <typename Record>
double NsPerCall(int threads, const std::vector<Call>& calls,
                 const Budget& budget, Record record) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> ns(threads), cpu_ns(threads), wall_ns(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      const double cpu_start = ThreadCpuNs();
      const Clock::time_point start = Clock::now();
      const Clock::time_point deadline =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(budget.seconds));
      size_t i = t * kCallCount / 2;
      uint64_t done = 0;
      Clock::time_point now = start;
      while (done < budget.max_calls && now < deadline) {
        for (int k = 0; k < 256; ++k) {  // check the clock every 256 calls
          record(calls[i]);
          i = (i + 1) % kCallCount;
        }
        done += 256;
        now = Clock::now();
      }
      const double cpu = ThreadCpuNs() - cpu_start;
      ns[t] = cpu / static_cast<double>(done);
      cpu_ns[t] = cpu;
      wall_ns[t] =
          std::chrono::duration<double, std::nano>(now - start).count();
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (std::thread& w : workers) w.join();
  double sum = 0;
  for (int t = 0; t < threads; ++t) {
    sum += ns[t];
    if (threads > 1) {
      multi_cpu_ns += cpu_ns[t];
      multi_wall_ns += wall_ns[t];
    }
  }
  return sum / threads;
}

// CPU ns per call of `render()` (returns the text), until the budget is
// spent.
size_t sink = 0;
template <typename Render>
double NsPerRender(const Budget& budget, Render render) {
  const double cpu_start = ThreadCpuNs();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(budget.seconds));
  uint64_t done = 0;
  Clock::time_point now = start;
  while (done < budget.max_calls / 1000 + 1 && now < deadline) {
    sink += render().size();
    ++done;
    now = Clock::now();
  }
  return (ThreadCpuNs() - cpu_start) / static_cast<double>(done);
}

struct Row {
  std::string operation;
  double lmdbapi;  // ns per call
  double prom;     // ns per call
};

// The best (least disturbed) of the repetitions of each, run alternately so
// that a busy machine slows both alike.
template <typename A, typename B>
Row Measure(const std::string& operation, const Budget& budget, A a, B b) {
  Row row{operation, 1e300, 1e300};
  for (int r = 0; r < budget.repetitions; ++r) {
    row.lmdbapi = std::min(row.lmdbapi, a());
    row.prom = std::min(row.prom, b());
  }
  return row;
}

std::string Machine() {
  utsname u;
  uname(&u);
  // The first CPU's model name, family and model.
  std::string cpu = "?", family = "?", model = "?";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line) && !line.empty();) {
    std::string value = line.substr(line.find(':') + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (line.rfind("model name", 0) == 0) cpu = value;
    if (line.rfind("cpu family", 0) == 0) family = value;
    if (line.rfind("model\t", 0) == 0) model = value;
  }
  std::string load = "?";
  std::ifstream loadavg("/proc/loadavg");
  std::getline(loadavg, load);
  return absl::StrFormat(
      "nproc %u, %s (family %s, model %s), Linux %s, loadavg %s",
      std::thread::hardware_concurrency(), cpu, family, model, u.release, load);
}

std::string Fmt(double ns) {
  return ns >= 1000 ? absl::StrFormat("%.0f", ns) : absl::StrFormat("%.1f", ns);
}

}  // namespace
}  // namespace lmdbapi::bench

int main(int argc, char** argv) {
  using namespace lmdbapi::bench;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else {
      fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
  const Budget budget =
      quick ? Budget{0.05, 5'000'000, 3} : Budget{0.1, 50'000'000, 9};

  const std::vector<Call> mixed = MakeCalls(/*hot=*/false);
  const std::vector<Call> hot = MakeCalls(/*hot=*/true);
  Metrics own;
  Prom prom;
  // Every series exists before the clock starts (first calls allocate).
  for (int m = 0; m < kMethods; ++m) {
    for (int c = 0; c < kCodes; ++c) {
      own.Record(kServices[m], kMethodNames[m], kCodeList[c], 100);
      prom.RecordLookup(kServices[m], kMethodNames[m], kCodeList[c], 100);
    }
  }
  auto own_record = [&own](const Call& c) {
    own.Record(kServices[c.method], kMethodNames[c.method], kCodeList[c.code],
               c.micros);
  };
  auto prom_lookup = [&prom](const Call& c) {
    prom.RecordLookup(kServices[c.method], kMethodNames[c.method],
                      kCodeList[c.code], c.micros);
  };
  auto prom_cached = [&prom](const Call& c) {
    prom.RecordCached(c.method, c.code, c.micros);
  };

  std::vector<Row> rows;
  for (int threads : {1, 2}) {
    for (const bool is_hot : {false, true}) {
      if (threads == 1 && is_hot) continue;  // no contention to show
      const std::vector<Call>& calls = is_hot ? hot : mixed;
      std::string what =
          absl::StrFormat("record, %s, %d thread%s; prometheus-cpp ",
                          is_hot ? "1 method, 1 code" : "20 methods x 5 codes",
                          threads, threads > 1 ? "s" : "");
      rows.push_back(Measure(
          what + "Add() per call", budget,
          [&] { return NsPerCall(threads, calls, budget, own_record); },
          [&] { return NsPerCall(threads, calls, budget, prom_lookup); }));
      rows.push_back(Measure(
          what + "cached handles", budget,
          [&] { return NsPerCall(threads, calls, budget, own_record); },
          [&] { return NsPerCall(threads, calls, budget, prom_cached); }));
    }
  }
  const size_t own_bytes = own.Render().size();
  const size_t prom_bytes = prom.Render().size();
  rows.push_back(Measure(
      absl::StrFormat("render, 20 methods x 5 codes (%u / %u bytes)", own_bytes,
                      prom_bytes),
      budget, [&] { return NsPerRender(budget, [&] { return own.Render(); }); },
      [&] { return NsPerRender(budget, [&] { return prom.Render(); }); }));

  printf("## lmdbapi metrics registry against prometheus-cpp 1.0.1\n\n");
  printf("Machine: %s\n\n", Machine().c_str());
  printf(
      "| operation | lmdbapi ns/call | prometheus-cpp ns/call | ratio "
      "(lmdbapi / prometheus-cpp) |\n");
  printf("|---|---:|---:|---:|\n");
  for (const Row& r : rows) {
    printf("| %s | %s | %s | %.2f |\n", r.operation.c_str(),
           Fmt(r.lmdbapi).c_str(), Fmt(r.prom).c_str(), r.lmdbapi / r.prom);
  }
  printf(
      "\nA call = one lmdbapi_requests_total{service,method,code} increment "
      "and one lmdbapi_request_duration_seconds{service,method} observation "
      "(14 buckets + Inf), as server/observability/metrics.cc's Record(). lmdbapi always "
      "finds the series by (service, method) itself; prometheus-cpp either "
      "builds the labels and calls Family::Add per call or uses handles "
      "resolved once. ns = the recording thread's CPU time per call (2 "
      "threads: both record at once, per thread; time blocked on a "
      "prometheus-cpp mutex is not counted; the 2 threads were on a CPU %.0f%% "
      "of their wall time). render: per exposition text. Best of %d "
      "alternating repetitions of <= %.2f s each.%s\n",
      100 * multi_cpu_ns / multi_wall_ns, budget.repetitions, budget.seconds,
      sink == 0 ? " (nothing rendered)" : "");
  return 0;
}
