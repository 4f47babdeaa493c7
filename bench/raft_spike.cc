// The replication spike: can libraft 0.15 (Debian's libraft-dev, the C Raft
// that dqlite and LXD run on) carry lmdbapi's writes? Three voters on
// loopback in one process (one libuv loop, each voter with its own log
// directory and TCP port), measured beside baselines taken in the same run
// on the same disk: what one replica does today, a durable LMDB commit.
//
// Rows, per write of B bytes:
//   lmdb durable commit of 1 write     baseline: sequential commits
//   lmdb durable commit of K writes    baseline: a group commit
//   raft, entry per write, 1 / K in flight
//   raft, entry per K writes, 1 in flight    an entry per group commit
//   raft + lmdb apply, the same        each voter applies into LMDB (nosync:
//                                      the Raft log is the write-ahead log)
//   failover                           leader closed: until another leads
// CPU per write is the process's (all three voters and libuv's threads).
//
//   raft_spike [--dir D] [--entries N] [--bytes B] [--group K]
//              [--failovers F] [--election_ms E]
#include <lmdb.h>
extern "C" {  // libraft's headers declare no C linkage of their own
#include <raft.h>
#include <raft/uv.h>
}
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"

ABSL_FLAG(std::string, dir, "",
          "where the logs and databases go (a new "
          "directory under the system's temporary one by default)");
ABSL_FLAG(int, entries, 3000, "writes per row");
ABSL_FLAG(int, bytes, 512, "bytes per write (a stored permit is 200-600)");
ABSL_FLAG(int, group, 64, "writes per group commit (and in flight)");
ABSL_FLAG(int, failovers, 5, "leader failures timed");
ABSL_FLAG(int, groups_in_flight, 1,
          "group entries in flight (2 gains nothing: they queue)");
ABSL_FLAG(int, election_ms, 500, "Raft election timeout");

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kVoters = 3;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void Check(bool ok, const std::string& what) {
  if (ok) return;
  fprintf(stderr, "raft_spike: %s\n", what.c_str());
  exit(1);
}

// An LMDB environment with one database: the baseline, and a voter's state.
struct Lmdb {
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  uint64_t next_key = 0;

  Lmdb(const std::string& dir, unsigned flags) {
    std::filesystem::create_directories(dir);
    Check(mdb_env_create(&env) == 0, "mdb_env_create");
    mdb_env_set_mapsize(env, size_t{4} << 30);
    Check(mdb_env_open(env, dir.c_str(), flags, 0644) == 0, "open " + dir);
    MDB_txn* txn;
    mdb_txn_begin(env, nullptr, 0, &txn);
    mdb_dbi_open(txn, nullptr, 0, &dbi);
    mdb_txn_commit(txn);
  }
  ~Lmdb() { mdb_env_close(env); }

  // One transaction of the `puts` values of `bytes` each that follow one
  // another at `data`, under the next keys (MDB_APPEND when they are new;
  // 0 when a replay may write them again).
  void Commit(const char* data, size_t bytes, int puts, unsigned flags) {
    MDB_txn* txn;
    Check(mdb_txn_begin(env, nullptr, 0, &txn) == 0, "mdb_txn_begin");
    for (int i = 0; i < puts; ++i) {
      uint64_t key = __builtin_bswap64(next_key++);
      MDB_val k{sizeof key, &key},
          v{bytes, const_cast<char*>(data + i * bytes)};
      Check(mdb_put(txn, dbi, &k, &v, flags) == 0, "mdb_put");
    }
    Check(mdb_txn_commit(txn) == 0, "mdb_txn_commit");
  }
};

struct Voter {
  raft_id id = 0;
  std::string address, dir;
  raft_uv_transport transport{};
  raft_io io{};
  raft_fsm fsm{};
  struct raft raft {};
  std::unique_ptr<Lmdb> state;  // the applied entries, when applying to LMDB
  uint64_t applied = 0;
  bool closing = false, closed = false;
};

// Bytes per write: an entry carries one write or a group of them.
size_t write_bytes = 1024;

// Puts the entry's writes under keys numbered by the writes applied before
// it, so that replaying an entry after a restart writes the same keys.
int Apply(raft_fsm* fsm, const raft_buffer* buf, void** result) {
  auto* voter = static_cast<Voter*>(fsm->data);
  const int writes = buf->len / write_bytes;
  if (voter->state) {
    voter->state->next_key = voter->applied;
    voter->state->Commit(static_cast<const char*>(buf->base), write_bytes,
                         writes, 0);
  }
  voter->applied += writes;
  *result = nullptr;
  return 0;
}

// The snapshot is the applied count: a voter's state is its LMDB, durable
// on its own (a real design would point at a compacting copy).
int Snapshot(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n) {
  auto* voter = static_cast<Voter*>(fsm->data);
  if (voter->state) mdb_env_sync(voter->state->env, 1);
  *bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  (*bufs)[0].len = sizeof(uint64_t);
  (*bufs)[0].base = raft_malloc(sizeof(uint64_t));
  memcpy((*bufs)[0].base, &voter->applied, sizeof(uint64_t));
  *n = 1;
  return 0;
}

int Restore(raft_fsm* fsm, raft_buffer* buf) {
  auto* voter = static_cast<Voter*>(fsm->data);
  memcpy(&voter->applied, buf->base, sizeof(uint64_t));
  raft_free(buf->base);
  return 0;
}

// A loopback port nothing listens on (the kernel's pick; free again once
// closed, and taken by a voter right after).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  Check(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
        "no free loopback port");
  close(fd);
  return ntohs(addr.sin_port);
}

class Cluster {
 public:
  Cluster(std::string dir, bool lmdb_apply)
      : dir_(std::move(dir)), lmdb_apply_(lmdb_apply) {
    for (int i = 0; i < kVoters; ++i) ports_.push_back(FreePort());
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &tick_);
    // Wakes the loop every millisecond so that RunUntil's predicates are
    // looked at.
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 1, 1);
    for (int i = 0; i < kVoters; ++i) voters_.push_back(Start(i + 1, true));
  }

  ~Cluster() {
    for (auto& v : voters_) Close(*v);
    RunUntil(
        [&] {
          return std::all_of(voters_.begin(), voters_.end(),
                             [](auto& v) { return v->closed; });
        },
        10);
    uv_timer_stop(&tick_);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  // Runs the loop until `done()` or `seconds` pass; whether done() held.
  bool RunUntil(const std::function<bool()>& done, double seconds) {
    auto start = Clock::now();
    while (!done()) {
      if (SecondsSince(start) > seconds) return false;
      uv_run(&loop_, UV_RUN_ONCE);
    }
    return true;
  }

  Voter* Leader() {
    for (auto& v : voters_) {
      if (!v->closing && raft_state(&v->raft) == RAFT_LEADER) return v.get();
    }
    return nullptr;
  }

  // Closes the voter (as a crash would, to the others: it stops answering).
  void Close(Voter& v) {
    if (v.closing) return;
    v.closing = true;
    v.raft.data = &v;
    raft_close(&v.raft, [](struct raft* r) {
      auto* voter = static_cast<Voter*>(r->data);
      raft_uv_close(&voter->io);
      raft_uv_tcp_close(&voter->transport);
      voter->closed = true;
    });
  }

  // Closes the leader and starts it again from its log once it has closed.
  // Returns the seconds until another voter led.
  double FailOver() {
    Voter* old = Leader();
    Check(old != nullptr, "no leader to fail");
    auto start = Clock::now();
    Close(*old);
    Check(RunUntil([&] { return Leader() != nullptr && Leader() != old; }, 30),
          "no new leader within 30 s");
    double seconds = SecondsSince(start);
    Check(RunUntil([&] { return old->closed; }, 10), "close took 10 s");
    RunUntil([] { return false; }, 0.1);  // its sockets finish closing
    for (auto& v : voters_) {
      if (v.get() != old) continue;
      graveyard_.push_back(std::move(v));
      v = Start(old->id, false);
    }
    return seconds;
  }

  // `count` entries of `bytes`, `in_flight` at a time, on the leader:
  // answered once a majority has them durable and the leader applied them.
  // Returns each one's latency in seconds.
  std::vector<double> Apply(int count, int bytes, int in_flight) {
    Check(RunUntil([&] { return Leader() != nullptr; }, 30), "no leader");
    Batch batch{this, Leader(), count, bytes};
    while (batch.issued < std::min(count, in_flight)) Issue(batch);
    Check(RunUntil([&] { return batch.answered == count; }, 300),
          "entries not applied within 300 s");
    Check(batch.failed == 0,
          absl::StrFormat("%d entries failed", batch.failed));
    return batch.latencies;
  }

  uint64_t MinApplied() {
    uint64_t least = UINT64_MAX;
    for (auto& v : voters_) least = std::min(least, v->applied);
    return least;
  }

 private:
  struct Batch {
    Cluster* cluster;
    Voter* leader;
    int count, bytes;
    int issued = 0, answered = 0, failed = 0;
    std::vector<double> latencies;
  };
  struct Request {
    struct raft_apply req;
    Batch* batch;
    Clock::time_point start;
  };

  void Issue(Batch& batch) {
    auto* request = new Request{{}, &batch, Clock::now()};
    request->req.data = request;
    raft_buffer buf{raft_malloc(batch.bytes), static_cast<size_t>(batch.bytes)};
    memset(buf.base, 'x', buf.len);
    ++batch.issued;
    int rc = raft_apply(
        &batch.leader->raft, &request->req, &buf, 1,
        [](struct raft_apply* req, int status, void*) {
          std::unique_ptr<Request> r(static_cast<Request*>(req->data));
          Batch& b = *r->batch;
          ++b.answered;
          if (status != 0) ++b.failed;
          b.latencies.push_back(SecondsSince(r->start));
          if (b.issued < b.count) b.cluster->Issue(b);
        });
    Check(rc == 0, std::string("raft_apply: ") + raft_strerror(rc));
  }

  std::unique_ptr<Voter> Start(raft_id id, bool bootstrap) {
    auto v = std::make_unique<Voter>();
    v->id = id;
    v->address = absl::StrFormat("127.0.0.1:%d", ports_[id - 1]);
    v->dir = absl::StrFormat("%s/voter-%d", dir_, id);
    std::filesystem::create_directories(v->dir + "/log");
    if (lmdb_apply_)
      v->state = std::make_unique<Lmdb>(v->dir + "/db", MDB_NOSYNC);
    v->fsm = raft_fsm{1, v.get(), ::Apply, Snapshot, Restore};
    Check(raft_uv_tcp_init(&v->transport, &loop_) == 0, "raft_uv_tcp_init");
    Check(raft_uv_init(&v->io, &loop_, (v->dir + "/log").c_str(),
                       &v->transport) == 0,
          "raft_uv_init");
    Check(raft_init(&v->raft, &v->io, &v->fsm, id, v->address.c_str()) == 0,
          "raft_init");
    raft_set_election_timeout(&v->raft, absl::GetFlag(FLAGS_election_ms));
    raft_set_heartbeat_timeout(&v->raft, absl::GetFlag(FLAGS_election_ms) / 10);
    if (bootstrap) {
      raft_configuration conf;
      raft_configuration_init(&conf);
      for (int i = 1; i <= kVoters; ++i) {
        raft_configuration_add(
            &conf, i, absl::StrFormat("127.0.0.1:%d", ports_[i - 1]).c_str(),
            RAFT_VOTER);
      }
      Check(raft_bootstrap(&v->raft, &conf) == 0, "raft_bootstrap");
      raft_configuration_close(&conf);
    }
    Check(raft_start(&v->raft) == 0,
          std::string("raft_start: ") + raft_errmsg(&v->raft));
    return v;
  }

  std::string dir_;
  std::vector<int> ports_;  // voter i listens on ports_[i - 1]
  bool lmdb_apply_;
  uv_loop_t loop_;
  uv_timer_t tick_;
  std::vector<std::unique_ptr<Voter>> voters_, graveyard_;
};

struct Figures {
  double per_second, p50_us, p99_us, cpu_us;
};

// Per write: `latencies` are of commits (entries) of `writes` writes each.
Figures Summarize(std::vector<double> latencies, double seconds, double cpu,
                  int writes) {
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    return latencies[std::min(latencies.size() - 1,
                              static_cast<size_t>(q * latencies.size()))] *
           1e6;
  };
  const double total = static_cast<double>(latencies.size()) * writes;
  return {total / seconds, at(0.5), at(0.99), cpu / total * 1e6};
}

// Sequential durable LMDB commits of `writes` values each.
Figures Baseline(const std::string& dir, int commits, int writes) {
  std::filesystem::remove_all(dir);
  Lmdb db(dir, 0);
  const std::string values(write_bytes * writes, 'x');
  std::vector<double> latencies;
  double cpu = CpuSeconds();
  auto start = Clock::now();
  for (int i = 0; i < commits; ++i) {
    auto t = Clock::now();
    db.Commit(values.data(), write_bytes, writes, MDB_APPEND);
    latencies.push_back(SecondsSince(t));
  }
  return Summarize(latencies, SecondsSince(start), CpuSeconds() - cpu, writes);
}

// `entries` entries of `writes` writes each through three voters.
Figures Replicated(const std::string& dir, bool lmdb_apply, int entries,
                   int writes, int in_flight) {
  std::filesystem::remove_all(dir);
  Cluster cluster(dir, lmdb_apply);
  const int bytes = writes * write_bytes;
  cluster.Apply(20, bytes, in_flight);  // elected, connected, warm
  double cpu = CpuSeconds();
  auto start = Clock::now();
  std::vector<double> latencies = cluster.Apply(entries, bytes, in_flight);
  double seconds = SecondsSince(start);
  Figures f = Summarize(latencies, seconds, CpuSeconds() - cpu, writes);
  const uint64_t all = uint64_t{20 + static_cast<uint64_t>(entries)} * writes;
  Check(cluster.RunUntil([&] { return cluster.MinApplied() >= all; }, 60),
        "a follower did not apply every entry");
  return f;
}

std::string Machine(const std::string& dir) {
  utsname u;
  uname(&u);
  return absl::StrFormat(
      "%u cores, Linux %s, libraft 0.15 (Debian libraft-dev), data under %s",
      std::thread::hardware_concurrency(), u.release, dir);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);  // a write to a closed peer is an error, not death
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    char tmpl[] = "/var/tmp/raft_spike-XXXXXX";  // on disk, not a tmpfs
    Check(mkdtemp(tmpl) != nullptr, "mkdtemp");
    dir = tmpl;
  }
  const int n = absl::GetFlag(FLAGS_entries), k = absl::GetFlag(FLAGS_group);
  write_bytes = absl::GetFlag(FLAGS_bytes);

  printf("## libraft spike: 3 voters on loopback, writes of %zu bytes\n\n",
         write_bytes);
  printf("Machine: %s\n\n", Machine(dir).c_str());
  // Baselines: what one replica does today, per write and per group commit.
  Figures one = Baseline(dir + "/baseline", n, 1);
  Figures group = Baseline(dir + "/baseline", std::max(1, n / k), k);
  // An entry per write, as a naive design would: one at a time, then K.
  Figures raft1 = Replicated(dir + "/raft1", false, n / 4, 1, 1);
  Figures raftk = Replicated(dir + "/raftk", false, n, 1, k);
  // An entry per group commit of K writes: the design that fits the
  // writer.
  const int groups = std::max(1, n / k);
  const int g = absl::GetFlag(FLAGS_groups_in_flight);
  Figures raftg = Replicated(dir + "/raftg", false, groups, k, g);
  Figures raftdb = Replicated(dir + "/raftdb", true, groups, k, g);

  printf(
      "| row | writes/s | p50 µs | p99 µs | CPU µs/write | vs its "
      "baseline |\n");
  printf("|---|---:|---:|---:|---:|---:|\n");
  auto row = [](const std::string& name, const Figures& f,
                const Figures* base) {
    std::string ratio =
        base ? absl::StrFormat("%.2f×", f.per_second / base->per_second)
             : "baseline";
    printf("| %s | %.0f | %.0f | %.0f | %.1f | %s |\n", name.c_str(),
           f.per_second, f.p50_us, f.p99_us, f.cpu_us, ratio.c_str());
  };
  row("lmdb durable commit of 1 write", one, nullptr);
  row(absl::StrFormat("lmdb durable commit of %d writes", k), group, nullptr);
  row("raft, entry per write, 1 in flight", raft1, &one);
  row(absl::StrFormat("raft, entry per write, %d in flight", k), raftk, &group);
  row(absl::StrFormat("raft, entry per %d writes, %d in flight", k, g), raftg,
      &group);
  row(absl::StrFormat("raft + lmdb apply, entry per %d writes, %d in flight", k,
                      g),
      raftdb, &group);
  printf(
      "\n(p50/p99: of one commit or entry. raft rows: acknowledged once "
      "a majority has the entry durable and the leader applied it; every "
      "voter applies every entry before a row ends.)\n");

  std::vector<double> failovers;
  {
    std::filesystem::remove_all(dir + "/failover");
    Cluster cluster(dir + "/failover", true);
    for (int i = 0; i < absl::GetFlag(FLAGS_failovers); ++i) {
      cluster.Apply(20, k * write_bytes, g);
      failovers.push_back(cluster.FailOver());
    }
    cluster.Apply(20, k * write_bytes, g);  // the new leader takes writes
  }
  std::sort(failovers.begin(), failovers.end());
  if (!failovers.empty()) {
    printf(
        "\nFailover (leader closed until another leads, election timeout "
        "%d ms): median %.0f ms, worst %.0f ms over %zu\n",
        absl::GetFlag(FLAGS_election_ms), failovers[failovers.size() / 2] * 1e3,
        failovers.back() * 1e3, failovers.size());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
