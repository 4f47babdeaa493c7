// server/observability/metrics.h: counts and histograms as recorded, the
// Prometheus text they render to, the figures of a real database, and
// Record()'s cost.
#include "server/observability/metrics.h"

#include <time.h>

#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::server {
namespace {

using Code = absl::StatusCode;

// sample name with labels -> value, of every sample line of `text`.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

TEST(MetricsTest, CountsCallsByCodeAndLatencyBucket) {
  Metrics metrics;
  metrics.Record("Permits", "Get", Code::kOk, 50);          // le 0.00005
  metrics.Record("Permits", "Get", Code::kOk, 51);          // le 0.0001
  metrics.Record("Permits", "Get", Code::kNotFound, 3000);  // le 0.005
  metrics.Record("Permits", "Get", Code::kOk, 2'000'000);   // +Inf only
  metrics.Record("Permits", "Insert", Code::kInvalidArgument, 0);
  metrics.Record("Admin", "Backup", static_cast<Code>(99), 10);  // -> UNKNOWN
  auto s = Samples(metrics.Render());

  EXPECT_EQ(
      s[R"(lmdbapi_requests_total{service="Permits",method="Get",code="OK"})"],
      "3");
  EXPECT_EQ(
      s[R"(lmdbapi_requests_total{service="Permits",method="Get",code="NOT_FOUND"})"],
      "1");
  EXPECT_EQ(
      s[R"(lmdbapi_requests_total{service="Permits",method="Insert",code="INVALID_ARGUMENT"})"],
      "1");
  EXPECT_EQ(
      s[R"(lmdbapi_requests_total{service="Admin",method="Backup",code="UNKNOWN"})"],
      "1");
  EXPECT_EQ(
      s.count(
          R"(lmdbapi_requests_total{service="Permits",method="Insert",code="OK"})"),
      0u)
      << "codes never seen are not rendered";

  const std::string get = R"(service="Permits",method="Get")";
  auto bucket = [&](const char* le) {
    return s[absl::StrCat("lmdbapi_request_duration_seconds_bucket{", get,
                          ",le=\"", le, "\"}")];
  };
  EXPECT_EQ(bucket("0.00005"), "1");
  EXPECT_EQ(bucket("0.0001"), "2");
  EXPECT_EQ(bucket("0.0025"), "2");
  EXPECT_EQ(bucket("0.005"), "3");
  EXPECT_EQ(bucket("1"), "3");
  EXPECT_EQ(bucket("+Inf"), "4");
  EXPECT_EQ(
      s[absl::StrCat("lmdbapi_request_duration_seconds_count{", get, "}")],
      "4");
  EXPECT_EQ(s[absl::StrCat("lmdbapi_request_duration_seconds_sum{", get, "}")],
            "2.003101");
}

TEST(MetricsTest, RendersValidExpositionFormat) {
  Metrics metrics;
  metrics.Record("Permits", "Get", Code::kOk, 120);
  metrics.Record("Weird\"Service\\", "Get\n", Code::kOk, 120);
  testing::TempDir dir;
  auto db = testing::OpenPermitDb(dir.path());
  absl::StatusOr<StorageFigures> figures = CollectStorageFigures(*db);
  ASSERT_TRUE(figures.ok()) << figures.status();
  std::string text = metrics.Render(&*figures);

  // Every sample belongs to a family announced by # HELP and # TYPE before
  // it; no sample appears twice; values are numbers.
  const std::regex sample(
      R"(([a-z_]+)(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? [-+0-9.eE]+)");
  std::set<std::string> helped, typed, seen;
  std::istringstream lines(text);
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      std::string type = line.substr(line.rfind(' ') + 1);
      EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram")
          << line;
      EXPECT_TRUE(helped.count(name)) << "TYPE before HELP: " << line;
      EXPECT_TRUE(typed.insert(name).second) << "family twice: " << line;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample))
          << "not a sample: " << line;
      std::string family = m[1];
      for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (family.size() > suffix.size() &&
            family.compare(family.size() - suffix.size(), suffix.size(),
                           suffix) == 0 &&
            typed.count(family.substr(0, family.size() - suffix.size()))) {
          family.resize(family.size() - suffix.size());
        }
      }
      EXPECT_TRUE(typed.count(family)) << "sample before its # TYPE: " << line;
      EXPECT_TRUE(seen.insert(line.substr(0, line.rfind(' '))).second)
          << "twice: " << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 40);
  EXPECT_NE(text.find(R"(service="Weird\"Service\\",method="Get\n")"),
            std::string::npos)
      << "label values are escaped";
  for (const char* name :
       {"lmdbapi_lmdb_map_size_bytes", "lmdbapi_lmdb_map_limit_bytes",
        "lmdbapi_lmdb_used_bytes", "lmdbapi_lmdb_page_size_bytes",
        "lmdbapi_lmdb_readers_in_use", "lmdbapi_lmdb_readers_max",
        "lmdbapi_lmdb_last_txn_id", "lmdbapi_table_records",
        "lmdbapi_table_pages", "lmdbapi_writer_commits_total",
        "lmdbapi_writer_writes_total", "lmdbapi_writer_last_batch_size",
        "lmdbapi_writer_map_growths_total",
        "lmdbapi_writer_nested_reruns_total",
        "lmdbapi_writer_commit_seconds_total",
        "lmdbapi_writer_apply_seconds_total"}) {
    EXPECT_TRUE(typed.count(name)) << name;
  }
}

TEST(MetricsTest, AReplicaShowsItsPlaceInTheLog) {
  StorageFigures figures;
  auto alone = Samples(Metrics().Render(&figures));
  EXPECT_EQ(alone.count("lmdbapi_replication_applied_entries"), 0)
      << "an unreplicated server has no log";
  figures.writer.replicated = true;
  figures.writer.applied_entries = 1234;
  figures.writer.entries_waiting = 3;
  auto replica = Samples(Metrics().Render(&figures));
  EXPECT_EQ(replica["lmdbapi_replication_applied_entries"], "1234");
  EXPECT_EQ(replica["lmdbapi_replication_entries_waiting"], "3");
}

TEST(MetricsTest, StorageFiguresDescribeTheDatabase) {
  testing::TempDir dir;
  auto db = testing::OpenPermitDb(dir.path());
  storage::Table* permits = db->table("permits");
  for (int i = 0; i < 25; ++i) {
    test::Permit p =
        testing::MakePermit("Acme", i % 2 ? "NY" : "CA", test::PENDING);
    ASSERT_TRUE(permits->Insert(&p).ok());
  }
  absl::StatusOr<StorageFigures> figures = CollectStorageFigures(*db);
  ASSERT_TRUE(figures.ok()) << figures.status();
  auto s = Samples(Metrics().Render(&*figures));

  EXPECT_EQ(s[R"(lmdbapi_table_records{table="permits"})"], "25");
  EXPECT_EQ(s[R"(lmdbapi_table_records{table="inspections"})"], "0");
  EXPECT_EQ(
      s[R"(lmdbapi_index_state{table="permits",index="by_number",state="ready"})"],
      "1");
  ASSERT_TRUE(db->Rebuild("permits", "by_issued").ok());
  figures = CollectStorageFigures(*db);  // the rebuild's first chunk or done
  ASSERT_TRUE(figures.ok());
  auto during = Samples(Metrics().Render(&*figures));
  const std::string building =
      R"(lmdbapi_index_state{table="permits",index="by_issued",state="building"})";
  if (during.count(building)) {
    EXPECT_EQ(
        during
            [R"(lmdbapi_index_build_records{table="permits",index="by_issued",kind="total"})"],
        "25");
  } else {
    EXPECT_EQ(
        during
            [R"(lmdbapi_index_state{table="permits",index="by_issued",state="ready"})"],
        "1");
  }
  EXPECT_GE(
      std::stoull(
          s[R"(lmdbapi_table_pages{table="permits",database="permits"})"]),
      1u);
  EXPECT_GE(
      std::stoull(
          s[R"(lmdbapi_table_pages{table="permits",database="permits.idx.main_composite"})"]),
      1u);
  EXPECT_EQ(
      s[R"(lmdbapi_table_pages{table="inspections",database="inspections"})"],
      "0");
  EXPECT_EQ(s["lmdbapi_writer_writes_total"], "25");
  EXPECT_EQ(s["lmdbapi_writer_commits_total"], "25")
      << "one blocking insert after another";
  EXPECT_EQ(s["lmdbapi_writer_last_batch_size"], "1");
  EXPECT_EQ(s["lmdbapi_writer_map_growths_total"], "0");
  EXPECT_EQ(s["lmdbapi_lmdb_page_size_bytes"], "4096");
  EXPECT_EQ(s["lmdbapi_lmdb_map_size_bytes"],
            std::to_string(uint64_t{64} << 20));
  uint64_t used = std::stoull(s["lmdbapi_lmdb_used_bytes"]);
  EXPECT_GT(used, 0u);
  EXPECT_LE(used, uint64_t{64} << 20);
  EXPECT_GE(std::stoull(s["lmdbapi_lmdb_last_txn_id"]), 25u);
  EXPECT_LE(std::stoull(s["lmdbapi_lmdb_readers_in_use"]),
            std::stoull(s["lmdbapi_lmdb_readers_max"]));
}

TEST(MetricsTest, ConcurrentRecordsAreAllCounted) {
  Metrics metrics;
  constexpr int kThreads = 4, kCalls = 50'000;
  const char* methods[] = {"Get", "Insert", "Filter", "Delete"};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        metrics.Record(absl::StrCat("S", i % 3), methods[(i + t) % 4],
                       i % 5 == 0 ? Code::kNotFound : Code::kOk, i % 2000);
      }
    });
  }
  std::string during = metrics.Render();  // while they record
  for (auto& t : threads) t.join();
  EXPECT_FALSE(during.empty());
  auto s = Samples(metrics.Render());
  uint64_t calls = 0, counted = 0, not_found = 0;
  for (const auto& [name, value] : s) {
    if (name.rfind("lmdbapi_requests_total", 0) == 0)
      calls += std::stoull(value);
    if (name.rfind("lmdbapi_request_duration_seconds_count", 0) == 0) {
      counted += std::stoull(value);
    }
    if (name.find("NOT_FOUND") != std::string::npos)
      not_found += std::stoull(value);
  }
  EXPECT_EQ(calls, uint64_t{kThreads} * kCalls);
  EXPECT_EQ(counted, calls);
  EXPECT_EQ(not_found, uint64_t{kThreads} * kCalls / 5);
}

TEST(MetricsTest, MethodsPastTheLimitAreCountedAsOther) {
  Metrics metrics;
  for (size_t i = 0; i < Metrics::kMaxMethods + 10; ++i) {
    metrics.Record("S", absl::StrCat("M", i), Code::kOk, 1);
  }
  auto s = Samples(metrics.Render());
  EXPECT_EQ(
      s[R"x(lmdbapi_requests_total{service="(other)",method="(other)",code="OK"})x"],
      "10");
  EXPECT_EQ(s[R"(lmdbapi_requests_total{service="S",method="M0",code="OK"})"],
            "1");
}

// Not a timed test: prints what Record() costs on this machine, in CPU time
// of the recording threads (the machine may be busy with other work).
TEST(MetricsTest, PrintsTheCostOfRecord) {
  Metrics metrics;
  const std::string service = "Permits";
  const char* methods[] = {"Insert", "Get",         "Update",
                           "Delete", "BatchInsert", "Filter"};
  for (const char* m : methods) metrics.Record(service, m, Code::kOk, 1);
  constexpr int kCalls = 1'000'000;
  auto thread_cpu_ns = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
  };
  // ns of CPU per call, averaged over `threads` threads recording at once.
  auto run = [&](int threads) {
    std::vector<double> cpu(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        double start = thread_cpu_ns();
        for (int i = 0; i < kCalls; ++i) {
          metrics.Record(service, methods[(i + t) % 6], Code::kOk,
                         (i * 37) % 5000);
        }
        cpu[t] = thread_cpu_ns() - start;
      });
    }
    for (auto& w : workers) w.join();
    double total = 0;
    for (double c : cpu) total += c;
    return total / threads / kCalls;
  };
  double one = run(1), two = run(2);
  std::printf(
      "Record(): %.1f ns of CPU per call on 1 thread, %.1f on each of 2 "
      "threads at once\n",
      one, two);
}

}  // namespace
}  // namespace lmdbapi::server
