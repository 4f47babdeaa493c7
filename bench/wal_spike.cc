// The write-ahead-log spike (docs/BENCHMARKS.md, "A durable insert and the
// disk"): what a group commit of inserts costs when LMDB's own commit makes it
// durable, against a design where a sequential log does and LMDB commits
// without syncing, checkpointed now and then. Not a server path: a measured
// reason for (or against) changing how the server makes writes durable.
//
// Every mode writes the same groups of --group inserts into a fresh
// environment preloaded with --preload records. An insert is what the
// example schema's Insert writes (bench/grpc_load's insert workload): its
// record (a growing 16-byte key, as UUIDv7 keys grow), a change-log entry
// (a growing revision) and four index entries: one spread over 1,000
// clients (the main_composite index: the pages a group touches at random),
// three that grow at one or a few places (issued, permit number, county and
// status). Modes:
//   durable  one LMDB transaction per group, committed with LMDB's fsyncs
//            (the server today: data pages, then the meta page);
//   wal      the group's puts appended to a log segment and fdatasync'd,
//            then the transaction committed with MDB_NOSYNC; every
//            --checkpoint_ms a checkpoint, begun between two commits (the
//            last commit's two meta pages read, a read transaction pinned on
//            its snapshot so that no later commit can reuse its pages, a new
//            log segment started) and finished beside the writer on a thread
//            of its own (mdb_env_sync, the meta pages saved to a side file,
//            the previous pin released, the older segments deleted);
//   pinned   as durable, with a read transaction pinned on a snapshot and
//            renewed every --pin_groups groups: LMDB cannot reuse the pages
//            freed meanwhile, so it writes new pages at the file's end (is
//            that enough to make its own commits sequential? it is not);
//   nosync   LMDB with MDB_NOSYNC and no log: the ceiling, not durable.
// First it measures the disk itself: fdatasync after 1, 8 and 64 pages
// written at random places, and appended. For each mode it prints groups
// per second, the latency of a group until it is durable, and the writes the
// disk received per group (the data directory's block device,
// /sys/dev/block/MAJ:MIN/stat), alternating the modes for
// --rounds rounds.
//
// For bench/wal_powercut, which cuts the power under the wal mode on cutfs:
// --keep_dir=DIR writes groups in wal mode into DIR for --seconds, printing
// "ack N" once the first N inserts are durable (--pin=false: without the
// pinned snapshot, the control); --recover=DIR writes the saved meta pages
// back, replays the log, checks every database entry by entry and prints
// one JSON line (exit 1 if a check fails).
//
//   wal_spike [--preload=10000] [--group=32] [--seconds=5] [--rounds=3]
//             [--checkpoint_ms=1000] [--pin_groups=256] [--dir=.] [--check]
//   wal_spike --disk_only [--dir=.]     (the disk probe as one JSON line)
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

ABSL_FLAG(int, preload, 10000, "records written before the timed groups");
ABSL_FLAG(int, group, 32, "inserts per group commit");
ABSL_FLAG(double, seconds, 5, "time per mode and round");
ABSL_FLAG(int, rounds, 3, "rounds, the modes alternating in each");
ABSL_FLAG(int, checkpoint_ms, 1000, "wal mode: time between checkpoints");
ABSL_FLAG(int, pin_groups, 256, "pinned mode: groups between pin renewals");
ABSL_FLAG(std::string, dir, ".", "where each environment is made");
ABSL_FLAG(std::string, keep_dir, "",
          "power-cut check: write groups in wal mode into this directory for "
          "--seconds, printing 'ack N' once the first N inserts are durable");
ABSL_FLAG(std::string, recover, "",
          "power-cut check: recover this directory (the saved meta pages "
          "written back, the log replayed), check every database and print "
          "one JSON line");
ABSL_FLAG(bool, pin, true,
          "wal mode: pin each checkpoint's snapshot (false: the control)");
ABSL_FLAG(bool, disk_only, false,
          "only the disk probe, as one JSON line (bench/run uses it)");
ABSL_FLAG(bool, check, false, "exit 1 unless every mode wrote every group");

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDatabases = 6;  // records, changes, four indexes
constexpr int kMaxGroups = 200000;

void Check(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return;
  std::fprintf(stderr, "wal_spike: %s: %s\n", what, mdb_strerror(rc));
  std::exit(1);
}

void CheckSys(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "wal_spike: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

struct Put {
  int db;
  std::string key;
  std::string value;
};

std::string BigEndian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v);
  return out;
}

// The six entries of insert number n.
void AppendInsert(uint64_t n, std::vector<Put>* puts) {
  std::string key = BigEndian(n, 16);
  std::string record(220, static_cast<char>('a' + n % 26));
  puts->push_back({0, key, record});
  puts->push_back({1, BigEndian(n, 8), record});
  std::string client = absl::StrFormat("c%04d", (n * 7919) % 1000);
  puts->push_back({2, absl::StrCat(client, "|NY|2|", key), ""});
  puts->push_back({3, absl::StrCat(BigEndian(1700000000 + n, 8), key), ""});
  puts->push_back({4, absl::StrCat("P-", n, "|", key), ""});
  puts->push_back({5, absl::StrCat("NY|2|", BigEndian(n, 8), key), ""});
}

struct Env {
  MDB_env* env = nullptr;
  MDB_dbi dbi[kDatabases];
  std::string dir;
};

Env Open(const std::string& dir) {
  Env e;
  e.dir = dir;
  std::filesystem::create_directories(dir);
  Check(mdb_env_create(&e.env), "mdb_env_create");
  Check(mdb_env_set_maxdbs(e.env, kDatabases), "mdb_env_set_maxdbs");
  Check(mdb_env_set_mapsize(e.env, size_t{16} << 30), "mdb_env_set_mapsize");
  Check(mdb_env_open(e.env, dir.c_str(), MDB_NOTLS, 0644), dir.c_str());
  MDB_txn* txn;
  Check(mdb_txn_begin(e.env, nullptr, 0, &txn), "mdb_txn_begin");
  for (int i = 0; i < kDatabases; ++i) {
    std::string name = absl::StrCat("db", i);
    Check(mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &e.dbi[i]), "dbi");
  }
  Check(mdb_txn_commit(txn), "mdb_txn_commit");
  return e;
}

void Apply(Env& e, const std::vector<Put>& puts) {
  MDB_txn* txn;
  Check(mdb_txn_begin(e.env, nullptr, 0, &txn), "mdb_txn_begin");
  for (const Put& p : puts) {
    MDB_val k{p.key.size(), const_cast<char*>(p.key.data())};
    MDB_val v{p.value.size(), const_cast<char*>(p.value.data())};
    Check(mdb_put(txn, e.dbi[p.db], &k, &v, 0), "mdb_put");
  }
  Check(mdb_txn_commit(txn), "mdb_txn_commit");
}

// Writes --preload inserts, 1,000 a transaction; returns the next insert's
// number.
uint64_t Preload(Env& env) {
  uint64_t n = 0;
  while (n < static_cast<uint64_t>(absl::GetFlag(FLAGS_preload))) {
    std::vector<Put> puts;
    for (int i = 0; i < 1000; ++i) AppendInsert(n++, &puts);
    Apply(env, puts);
  }
  return n;
}

// The next group: --group inserts from number *n on.
std::vector<Put> NextGroup(uint64_t* n) {
  std::vector<Put> puts;
  for (int i = 0; i < absl::GetFlag(FLAGS_group); ++i) {
    AppendInsert((*n)++, &puts);
  }
  return puts;
}

uint64_t Hash(absl::string_view bytes) {  // FNV-1a: tells a torn record
  uint64_t h = 14695981039346656037ull;
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

uint64_t ReadBigEndian(absl::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// A log record: its payload's length (4 bytes) and hash (8), then each put
// as its database (1 byte), key and value lengths (4 + 4), key and value.
std::string Encode(const std::vector<Put>& puts) {
  std::string out;
  for (const Put& p : puts) {
    out += static_cast<char>(p.db);
    out += BigEndian(p.key.size(), 4) + BigEndian(p.value.size(), 4);
    out += p.key + p.value;
  }
  return BigEndian(out.size(), 4) + BigEndian(Hash(out), 8) + out;
}

// The records of a log up to the first incomplete or torn one.
std::vector<std::vector<Put>> Decode(absl::string_view log) {
  std::vector<std::vector<Put>> records;
  while (log.size() >= 12) {
    uint64_t size = ReadBigEndian(log.substr(0, 4));
    if (log.size() < 12 + size) break;
    absl::string_view body = log.substr(12, size);
    if (Hash(body) != ReadBigEndian(log.substr(4, 8))) break;
    std::vector<Put>& puts = records.emplace_back();
    while (!body.empty()) {
      uint64_t k = ReadBigEndian(body.substr(1, 4));
      uint64_t v = ReadBigEndian(body.substr(5, 4));
      puts.push_back({body[0], std::string(body.substr(9, k)),
                      std::string(body.substr(9 + k, v))});
      body.remove_prefix(9 + k + v);
    }
    log.remove_prefix(12 + size);
  }
  return records;
}

// Writes and sectors the data directory's block device completed so far.
struct Disk {
  uint64_t writes = 0, sectors = 0;
};

Disk ReadDisk(const std::string& dir) {
  struct stat st;
  CheckSys(stat(dir.c_str(), &st) == 0, "stat");
  std::ifstream in(absl::StrFormat("/sys/dev/block/%u:%u/stat",
                                   major(st.st_dev), minor(st.st_dev)));
  uint64_t f[7] = {};
  for (uint64_t& v : f) in >> v;
  return {f[4], f[6]};
}

int64_t Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// The disk itself: the median fdatasync after writing `pages` 4 KiB pages
// at random places of a 64 MiB file (scattered), or after appending them
// (sequential), 30 times each.
double FsyncMs(const std::string& dir, int pages, bool scattered) {
  std::string path = dir + "/probe";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  CheckSys(fd >= 0 && ftruncate(fd, scattered ? 64 << 20 : 0) == 0 &&
               fdatasync(fd) == 0,
           "probe file");
  std::string page(4096, 'p');
  std::vector<int64_t> us;
  uint64_t seed = 88172645463325252ull;
  off_t end = 0;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < pages; ++i) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      off_t at = scattered ? static_cast<off_t>(seed % 16384) * 4096 : end;
      CheckSys(pwrite(fd, page.data(), page.size(), at) == 4096, "pwrite");
      end += 4096;
    }
    auto t = Clock::now();
    CheckSys(fdatasync(fd) == 0, "fdatasync");
    us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t)
            .count());
  }
  close(fd);
  std::filesystem::remove(path);
  return Percentile(us, 0.5) / 1000.0;
}

// The disk probe's figures: {pages, scattered ms, appended ms}.
std::vector<std::array<double, 3>> ProbeDisk(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::array<double, 3>> out;
  for (int pages : {1, 8, 64}) {
    out.push_back({static_cast<double>(pages), FsyncMs(dir, pages, true),
                   FsyncMs(dir, pages, false)});
  }
  std::filesystem::remove_all(dir);
  return out;
}

void PrintDisk(const std::string& dir) {
  std::printf(
      "The disk under %s, median fdatasync after writing 4 KiB pages:\n\n"
      "| pages | scattered (ms) | appended (ms) |\n|---:|---:|---:|\n",
      absl::GetFlag(FLAGS_dir).c_str());
  for (const auto& [pages, scattered, appended] : ProbeDisk(dir)) {
    std::printf("| %.0f | %.2f | %.2f |\n", pages, scattered, appended);
  }
  std::printf("\n");
}

// --disk_only: the probe alone, as one JSON line (bench/run's machine line).
void PrintDiskJson(const std::string& dir) {
  std::string scattered, appended;
  for (const auto& [pages, s, a] : ProbeDisk(dir)) {
    absl::StrAppendFormat(&scattered, "%s\"%.0f\": %.2f",
                          scattered.empty() ? "" : ", ", pages, s);
    absl::StrAppendFormat(&appended, "%s\"%.0f\": %.2f",
                          appended.empty() ? "" : ", ", pages, a);
  }
  std::printf("{\"scattered_ms\": {%s}, \"appended_ms\": {%s}}\n",
              scattered.c_str(), appended.c_str());
}

void SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  CheckSys(fd >= 0 && fsync(fd) == 0, "fsync directory");
  close(fd);
}

// The log and its checkpoints (wal mode). The log is a series of segment
// files, wal.000001 and on. A checkpoint starts on the writing thread
// between two commits (Begin: the last commit's meta pages read, a reader
// pinned on its snapshot, a new segment opened) and goes on beside it
// (Finish: mdb_env_sync, the meta pages saved, the previous pin released,
// the segments before the new one deleted).
class Log {
 public:
  Log(Env& env, bool pin) : env_(env), pinned_(pin) {
    Check(mdb_env_set_flags(env.env, MDB_NOSYNC, 1), "MDB_NOSYNC");
    if (pinned_) Check(mdb_txn_begin(env.env, nullptr, MDB_RDONLY, &pin_), "");
    OpenSegment();
    last_ = Clock::now();
  }
  ~Log() {
    Wait();
    if (pinned_) mdb_txn_abort(pin_);
    close(fd_);
  }
  void Append(const std::vector<Put>& puts) {
    std::string bytes = Encode(puts);
    CheckSys(write(fd_, bytes.data(), bytes.size()) ==
                 static_cast<ssize_t>(bytes.size()),
             "write wal segment");
    CheckSys(fdatasync(fd_) == 0, "fdatasync wal segment");
  }
  // After a commit: starts a checkpoint when one is due and none runs.
  void MaybeCheckpoint(int every_ms) {
    if (running_ || Clock::now() - last_ < std::chrono::milliseconds(every_ms))
      return;
    Wait();
    Begin();
  }
  // A checkpoint of everything committed so far, waited for.
  void Checkpoint() {
    Wait();
    Begin();
    Wait();
  }
  // Joins the checkpoint in progress, if any (its figures are then final).
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }
  int count() const { return count_; }
  double mean_ms() const { return count_ ? micros_ / 1000.0 / count_ : 0; }

 private:
  std::string Segment(int n) const {
    return absl::StrFormat("%s/wal.%06d", env_.dir, n);
  }
  void OpenSegment() {
    fd_ =
        open(Segment(++segment_).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    CheckSys(fd_ >= 0, "open wal segment");
    SyncDirectory(env_.dir);  // before any record in it is acknowledged
  }
  void Begin() {
    std::string meta = ReadMeta();
    MDB_txn* pin = nullptr;
    if (pinned_) Check(mdb_txn_begin(env_.env, nullptr, MDB_RDONLY, &pin), "");
    close(fd_);
    OpenSegment();
    running_ = true;
    last_ = Clock::now();
    thread_ = std::thread(
        [this, meta, pin, upto = segment_ - 1] { Finish(meta, pin, upto); });
  }
  void Finish(const std::string& meta, MDB_txn* pin, int upto) {
    auto start = Clock::now();
    Check(mdb_env_sync(env_.env, 1), "mdb_env_sync");
    SaveMeta(meta);
    if (pinned_) {
      mdb_txn_abort(pin_);
      pin_ = pin;
    }
    for (int n = upto; n >= 1 && std::filesystem::remove(Segment(n)); --n) {
    }
    micros_ += std::chrono::duration_cast<std::chrono::microseconds>(
                   Clock::now() - start)
                   .count();
    ++count_;
    running_ = false;
  }
  std::string ReadMeta() const {
    int in = open((env_.dir + "/data.mdb").c_str(), O_RDONLY);
    std::string pages(2 * 4096, '\0');
    CheckSys(in >= 0 && pread(in, pages.data(), pages.size(), 0) ==
                            static_cast<ssize_t>(pages.size()),
             "read meta");
    close(in);
    return pages;
  }
  void SaveMeta(const std::string& pages) const {
    // Written aside and renamed: a cut leaves the old copy or the new one.
    std::string tmp = env_.dir + "/meta.ckpt.tmp";
    int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CheckSys(out >= 0 &&
                 write(out, pages.data(), pages.size()) ==
                     static_cast<ssize_t>(pages.size()) &&
                 fdatasync(out) == 0,
             "write meta.ckpt");
    close(out);
    CheckSys(rename(tmp.c_str(), (env_.dir + "/meta.ckpt").c_str()) == 0,
             "rename meta.ckpt");
    SyncDirectory(env_.dir);
  }

  Env& env_;
  const bool pinned_;
  int fd_ = -1;
  int segment_ = 0;
  MDB_txn* pin_ = nullptr;  // the checkpoint's; Finish's while it runs
  Clock::time_point last_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  int64_t micros_ = 0;  // Finish's; read after Wait
  int count_ = 0;
};

struct Result {
  std::string mode;
  int groups = 0;
  double seconds = 0;
  std::vector<int64_t> latency_us;
  Disk disk;
  uint64_t file_bytes = 0;
  int checkpoints = 0;
  double checkpoint_ms = 0;
};

Result Run(const std::string& mode, const std::string& dir) {
  std::filesystem::remove_all(dir);
  Env env = Open(dir);
  uint64_t n = Preload(env);
  std::optional<Log> log;
  if (mode == "wal") log.emplace(env, /*pin=*/true);
  MDB_txn* pin = nullptr;
  if (mode == "pinned")
    Check(mdb_txn_begin(env.env, nullptr, MDB_RDONLY, &pin), "pin");
  if (mode == "nosync") Check(mdb_env_set_flags(env.env, MDB_NOSYNC, 1), "");
  Result r;
  r.mode = mode;
  Disk before = ReadDisk(dir);
  auto start = Clock::now();
  auto end =
      start + std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  while (Clock::now() < end && r.groups < kMaxGroups) {
    std::vector<Put> puts = NextGroup(&n);
    auto t = Clock::now();
    if (log) log->Append(puts);
    Apply(env, puts);
    r.latency_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t)
            .count());
    ++r.groups;
    if (log) log->MaybeCheckpoint(absl::GetFlag(FLAGS_checkpoint_ms));
    if (pin != nullptr && r.groups % absl::GetFlag(FLAGS_pin_groups) == 0) {
      mdb_txn_reset(pin);
      Check(mdb_txn_renew(pin), "pin renew");
      ++r.checkpoints;
    }
  }
  if (pin != nullptr) mdb_txn_abort(pin);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Disk after = ReadDisk(dir);
  r.disk = {after.writes - before.writes, after.sectors - before.sectors};
  if (log) {
    log->Wait();
    r.checkpoints = log->count();
    r.checkpoint_ms = log->mean_ms();
  }
  log.reset();
  mdb_env_close(env.env);
  r.file_bytes = std::filesystem::file_size(dir + "/data.mdb");
  std::filesystem::remove_all(dir);
  return r;
}

void Print(const Result& r) {
  const int group = absl::GetFlag(FLAGS_group);
  double g = std::max(1, r.groups);
  std::printf(
      "| %s | %.0f | %.0f | %.2f | %.2f | %.1f | %.0f | %.0f | %d (%.1f ms) "
      "|\n",
      r.mode.c_str(), r.groups / r.seconds, r.groups * group / r.seconds,
      Percentile(r.latency_us, 0.5) / 1000.0,
      Percentile(r.latency_us, 0.99) / 1000.0, r.disk.writes / g,
      r.disk.sectors * 512 / 1024.0 / g, r.file_bytes / 1048576.0,
      r.checkpoints, r.checkpoint_ms);
  std::fflush(stdout);
}

// --keep_dir: what bench/wal_powercut cuts the power under.
void WriteUntilCut(const std::string& dir) {
  Env env = Open(dir);
  uint64_t n = Preload(env);
  Log log(env, absl::GetFlag(FLAGS_pin));
  log.Checkpoint();  // syncs the directory's entries too
  SyncDirectory(std::filesystem::path(dir).parent_path().string());
  std::printf("ack %llu\n", static_cast<unsigned long long>(n));
  std::fflush(stdout);
  auto end = Clock::now() +
             std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  while (Clock::now() < end) {
    std::vector<Put> puts = NextGroup(&n);
    log.Append(puts);
    Apply(env, puts);
    std::printf("ack %llu\n", static_cast<unsigned long long>(n));
    std::fflush(stdout);
    log.MaybeCheckpoint(absl::GetFlag(FLAGS_checkpoint_ms));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every entry of every database, walked; then inserts 0..N-1 each whole,
// where N is the records database's count. Empty when all is well.
std::string CheckInserts(Env& env, uint64_t* records) {
  MDB_txn* txn;
  Check(mdb_txn_begin(env.env, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
  uint64_t counts[kDatabases] = {};
  std::string error;
  for (int db = 0; db < kDatabases && error.empty(); ++db) {
    MDB_cursor* cursor;
    Check(mdb_cursor_open(txn, env.dbi[db], &cursor), "mdb_cursor_open");
    MDB_val k, v;
    int rc;
    while ((rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
      ++counts[db];
    }
    if (rc != MDB_NOTFOUND)
      error = absl::StrCat("walk db", db, ": ", mdb_strerror(rc));
    mdb_cursor_close(cursor);
  }
  *records = counts[0];
  for (uint64_t n = 0; n < counts[0] && error.empty(); ++n) {
    std::vector<Put> puts;
    AppendInsert(n, &puts);
    for (const Put& p : puts) {
      MDB_val k{p.key.size(), const_cast<char*>(p.key.data())}, v;
      int rc = mdb_get(txn, env.dbi[p.db], &k, &v);
      if (rc != MDB_SUCCESS || absl::string_view(static_cast<char*>(v.mv_data),
                                                 v.mv_size) != p.value) {
        error = absl::StrCat("insert ", n, ": db", p.db, " entry ",
                             rc == MDB_SUCCESS ? "differs" : mdb_strerror(rc));
        break;
      }
    }
  }
  for (int db = 0; db < kDatabases && error.empty(); ++db) {
    if (counts[db] != counts[0]) {
      error = absl::StrCat("db", db, " holds ", counts[db], " entries for ",
                           counts[0], " records");
    }
  }
  mdb_txn_abort(txn);
  return error;
}

// --recover: the saved meta pages back in place, the log replayed, checked.
int Recover(const std::string& dir) {
  std::string meta = ReadFile(dir + "/meta.ckpt");
  if (meta.size() == 2 * 4096) {
    int fd = open((dir + "/data.mdb").c_str(), O_WRONLY);
    CheckSys(fd >= 0 &&
                 pwrite(fd, meta.data(), meta.size(), 0) ==
                     static_cast<ssize_t>(meta.size()) &&
                 fdatasync(fd) == 0,
             "restore meta pages");
    close(fd);
  }
  Env env = Open(dir);
  std::vector<std::string> segments;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("wal.", 0) == 0) segments.push_back(entry.path().string());
  }
  std::sort(segments.begin(), segments.end());  // wal.000001, wal.000002, ...
  size_t replayed = 0;
  for (const std::string& segment : segments) {
    for (const std::vector<Put>& puts : Decode(ReadFile(segment))) {
      Apply(env, puts);
      ++replayed;
    }
  }
  uint64_t records = 0;
  std::string error = CheckInserts(env, &records);
  mdb_env_close(env.env);
  std::printf(
      "{\"records\": %llu, \"replayed\": %zu, \"meta_restored\": %s, "
      "\"ok\": %s, \"error\": \"%s\"}\n",
      static_cast<unsigned long long>(records), replayed,
      meta.size() == 2 * 4096 ? "true" : "false",
      error.empty() ? "true" : "false", error.c_str());
  return error.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_recover).empty()) {
    return Recover(absl::GetFlag(FLAGS_recover));
  }
  if (absl::GetFlag(FLAGS_disk_only)) {
    PrintDiskJson(
        absl::StrCat(absl::GetFlag(FLAGS_dir), "/wal_spike.", getpid()));
    return 0;
  }
  if (!absl::GetFlag(FLAGS_keep_dir).empty()) {
    WriteUntilCut(absl::GetFlag(FLAGS_keep_dir));
    return 0;
  }
  std::string dir =
      absl::StrCat(absl::GetFlag(FLAGS_dir), "/wal_spike.", getpid());
  PrintDisk(dir);
  std::printf(
      "%d inserts per group over %d preloaded records, %g s per mode and "
      "round, checkpoints every %d ms (wal)\n\n",
      absl::GetFlag(FLAGS_group), absl::GetFlag(FLAGS_preload),
      absl::GetFlag(FLAGS_seconds), absl::GetFlag(FLAGS_checkpoint_ms));
  std::printf(
      "| mode | groups/s | inserts/s | p50 ms to durable | p99 ms | disk "
      "writes per group | KB per group | data.mdb MiB | checkpoints |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  bool ok = true;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    for (const char* mode : {"durable", "pinned", "wal", "nosync"}) {
      Result r = Run(mode, dir);
      ok = ok && r.groups > 0;
      Print(r);
    }
  }
  if (absl::GetFlag(FLAGS_check) && !ok) {
    std::fprintf(stderr, "wal_spike: a mode wrote no group\n");
    return 1;
  }
  return 0;
}
