#include "server/replication/raft_node.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/thread_name.h"
#include "server/observability/log.h"
#include "server/replication/named_addresses.h"
#include "server/replication/raft_node_impl.h"
#include "server/replication/replica_address.h"
#include "storage/coding.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

// A proposal (or barrier) libraft holds until it is applied or fails.
struct ApplyRequest {
  struct raft_apply req;
  std::function<void(absl::Status)> committed;
};
struct BarrierRequest {
  struct raft_barrier req;
  std::function<void(absl::Status)> done;
  storage::Writer* writer;
};

// Why libraft's transport could not listen on `host_port` ("host:port"),
// or OK: raft_start reports a failed listen as a bare RAFT_IOERR. Binds
// the IPv4 address the transport listens on (ListenAddress): a name such
// as localhost may resolve to ::1 first, which says nothing about it.
absl::Status CheckListen(const std::string& host_port) {
  const std::string listen = ListenAddress(host_port);
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::OkStatus();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(listen.substr(0, colon).c_str(),
                  listen.substr(colon + 1).c_str(), &hints, &found) != 0) {
    return absl::OkStatus();  // named elsewhere, if at all
  }
  int error = 0;
  const int fd = socket(found->ai_family, SOCK_STREAM, 0);
  const int on = 1;
  if (fd >= 0) {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    close(fd);
  }
  freeaddrinfo(found);
  if (error == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("replication: cannot listen on the raft address ", host_port,
                   ": ", std::strerror(error)));
}

absl::Status RaftStatus(int status) {
  return status == 0 ? absl::OkStatus()
                     : absl::UnavailableError(raft_strerror(status));
}

// The log's memory bounded by bytes as well as entries (RaftOptions::
// snapshot_bytes). libraft reads its snapshot threshold after each apply and
// its trailing count when a snapshot completes, so both are set here: the
// threshold drops to one entry once the entries since the last snapshot
// hold snapshot_bytes, and the trailing count is what fits in
// snapshot_bytes at the average size of those entries.
void CountTowardsSnapshot(RaftNode::Impl& impl, size_t bytes) {
  impl.bytes_since_snapshot += bytes;
  ++impl.entries_since_snapshot;
  if (impl.bytes_since_snapshot >= impl.options->snapshot_bytes) {
    raft_set_snapshot_threshold(&impl.raft, 1);
  }
}

void SnapshotTaken(RaftNode::Impl& impl) {
  uint64_t average = impl.bytes_since_snapshot /
                     std::max<uint64_t>(1, impl.entries_since_snapshot);
  const RaftOptions& options = *impl.options;
  uint64_t fits = options.snapshot_bytes / std::max<uint64_t>(1, average);
  raft_set_snapshot_trailing(&impl.raft,
                             static_cast<unsigned>(std::clamp<uint64_t>(
                                 fits, 1, options.snapshot_trailing)));
  raft_set_snapshot_threshold(&impl.raft, options.snapshot_threshold);
  impl.bytes_since_snapshot = 0;
  impl.entries_since_snapshot = 0;
}

// The state machine: every committed entry goes to the writer, on every
// replica, which applies it after this returns (the loop goes on replicating
// while LMDB commits; docs/REPLICATION.md, "Applying behind the log"). A
// replica that cannot apply a committed entry stops: going on would make it
// differ from the others.
int Apply(raft_fsm* fsm, const raft_buffer* buf, void** result) {
  auto* impl = static_cast<RaftNode::Impl*>(fsm->data);
  CountTowardsSnapshot(*impl, buf->len);
  ++impl->handed;
  impl->writer->ApplyEntryLater(
      std::string(static_cast<const char*>(buf->base), buf->len),
      [](absl::Status status) {
        if (status.ok() || absl::IsUnavailable(status)) return;
        Log(LogLevel::kError,
            "replication: cannot apply a committed log entry (%s); this "
            "replica stops rather than differ from the others",
            status.ToString());
        std::abort();
      });
  *result = nullptr;
  return 0;
}

// Waits for the writer to apply every entry handed to it, for at most
// `within` (absl::InfiniteDuration(): until it has): OK, DeadlineExceeded
// when it has not by then, or why it cannot (the writer stopped). The
// writer answers a drain in the order of its queue, on its own thread, so
// a wait given up on leaves the answer to a state this keeps alive.
absl::Status DrainWriter(storage::Writer& writer, absl::Duration within) {
  if (within == absl::InfiniteDuration()) return writer.Drain();
  struct Drained {
    absl::Notification done;
    absl::Status status;
  };
  auto drained = std::make_shared<Drained>();
  writer.AfterApplied(
      [drained](absl::Status status) {
        drained->status = std::move(status);
        drained->done.Notify();
      },
      storage::Writer::Drained::kDurable);
  if (!drained->done.WaitForNotificationWithTimeout(within)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the writer is still applying after ", absl::FormatDuration(within)));
  }
  return drained->status;
}

// Waits (at most `within`) for the writer to apply and sync every entry
// handed to it; 0, RAFT_BUSY when it is still applying (libraft takes the
// snapshot at a later entry), or RAFT_IOERR (logged: libraft drops the
// snapshot and takes the next after as many entries again).
int WaitForWriter(RaftNode::Impl& impl, absl::Duration within) {
  absl::Status drained = DrainWriter(*impl.writer, within);
  if (absl::IsDeadlineExceeded(drained)) return RAFT_BUSY;
  const int synced = drained.ok() ? mdb_env_sync(impl.env, 1) : 0;
  if (drained.ok() && synced == 0) return 0;
  Log(LogLevel::kWarning, "replication: no snapshot: %s",
      drained.ok() ? absl::StrCat("mdb_env_sync: ", mdb_strerror(synced))
                   : drained.ToString());
  return RAFT_IOERR;
}

int SnapshotAsync(raft_fsm* fsm, raft_buffer**, unsigned*) {
  return WaitForWriter(*static_cast<RaftNode::Impl*>(fsm->data),
                       absl::InfiniteDuration());
}

// How long a follower's loop waits for its writer before a snapshot: half
// the election timeout. A loop waiting answers no heartbeat, and the
// followers of a shard get the same entries at the same time: an import's
// batch (one LMDB transaction of ~4 MiB) can take longer than the election
// timeout to apply on a slow or loaded machine, and followers that all
// waited for it would leave the leader without a majority for that long
// (it steps down, failing the import: CI saw it on a sanitized build). The
// leader steps down when it heard from no majority within an election
// timeout; half of it leaves the rest for a heartbeat's interval (a tenth)
// and the sync. A follower whose writer takes longer answers RAFT_BUSY, and
// libraft tries again at the next entry it applies: its log holds the
// entries until then.
absl::Duration FollowerSnapshotWait(const RaftOptions& options) {
  return absl::Milliseconds(options.election_timeout_ms) / 2;
}

// A snapshot is the applied index alone: the data is LMDB, holding every
// entry up to it, synced, before libraft writes the snapshot and drops the
// log before it. The writer may be seconds behind (an import's batches),
// and a leader's loop waiting for it sends no heartbeats: the followers
// would elect another leader. So on the leader the index is recorded here
// at once and the wait runs on libuv's thread pool (SnapshotAsync: libraft
// reads snapshot_async after this call). A follower waits here, on its
// loop, for at most FollowerSnapshotWait: libraft 0.15 turns a follower
// whose own snapshot is pending unavailable when the leader sends it one
// (its install returns RAFT_BUSY, which ends the raft instance), and a
// seconds-long pending snapshot made that likely. SnapshotFinalize frees
// the buffer.
int Snapshot(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n) {
  auto* impl = static_cast<RaftNode::Impl*>(fsm->data);
  const bool leads = raft_state(&impl->raft) == RAFT_LEADER;
  impl->fsm.snapshot_async = leads ? SnapshotAsync : nullptr;
  if (!leads) {
    const int waited =
        WaitForWriter(*impl, FollowerSnapshotWait(*impl->options));
    if (waited != 0) return waited;
  }
  SnapshotTaken(*impl);
  std::string index;
  storage::PutFixed64(impl->handed, &index);
  *bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  (*bufs)[0].len = index.size();
  (*bufs)[0].base = raft_malloc(index.size());
  memcpy((*bufs)[0].base, index.data(), index.size());
  *n = 1;
  return 0;
}

int SnapshotFinalize(raft_fsm*, raft_buffer* bufs[], unsigned* n) {
  for (unsigned i = 0; i < *n; ++i) raft_free((*bufs)[i].base);
  raft_free(*bufs);
  *bufs = nullptr;
  *n = 0;
  return 0;
}

// A snapshot at `index`: the data must hold the log up to there. It does
// when it took the snapshot itself; when the leader sent it, the data is
// copied from the leader first (RaftNode::CatchUp).
int Restore(raft_fsm* fsm, raft_buffer* buf) {
  auto* impl = static_cast<RaftNode::Impl*>(fsm->data);
  uint64_t index =
      buf->len == 8 ? storage::DecodeFixed64(static_cast<char*>(buf->base)) : 0;
  raft_free(buf->base);
  if (!impl->writer->Drain().ok()) return RAFT_IOERR;
  const uint64_t applied = impl->writer->applied_index();
  if (applied < index) {
    absl::Status caught_up = impl->catch_up(index);
    if (!caught_up.ok()) {
      Log(LogLevel::kError,
          "replication: this replica's data holds the log up to entry %d, "
          "the leader's snapshot %d, and it could not catch up: %s",
          applied, index, caught_up.message());
      return RAFT_IOERR;
    }
  }
  impl->writer->RestoredTo(index);
  impl->handed = index;
  return 0;
}

}  // namespace

RaftNode::RaftNode(RaftOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

RaftNode::~RaftNode() { Close(); }

std::string RaftNode::ClientOf(uint64_t id) const {
  {
    absl::MutexLock lock(&mu_);
    for (const RaftMember& m : state_.members) {
      if (m.address.id == id && !m.address.client.empty()) {
        return m.address.client;
      }
    }
  }
  for (const ReplicaAddress& r : options_.replicas) {
    if (r.id == id) return r.client;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<RaftNode>> RaftNode::Create(
    RaftOptions options, storage::Writer* writer, MDB_env* env) {
  const ReplicaAddress* self = nullptr;
  for (const ReplicaAddress& r : options.replicas) {
    if (r.id == options.id) self = &r;
  }
  if (self == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--replica_id: ", options.id, " is not one of --replicas"));
  }
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the replication log directory '",
                     options.dir, "': ", error.message()));
  }
  // libuv writes to peers that may have died: a write to a closed socket
  // must fail (EPIPE), not end this process with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<RaftNode> node(new RaftNode(options));
  Impl& impl = *node->impl_;
  impl.node = node.get();
  impl.writer = writer;
  impl.env = env;
  uv_loop_init(&impl.loop);
  impl.fsm = raft_fsm{
      3, &impl, Apply, Snapshot, Restore, SnapshotFinalize, SnapshotAsync};
  impl.catch_up = [node = node.get()](uint64_t index) {
    return node->CatchUp(index);
  };
  return node;
}

absl::Status RaftNode::Start() {
  const ReplicaAddress* self = nullptr;
  for (const ReplicaAddress& r : options_.replicas) {
    if (r.id == options_.id) self = &r;
  }
  readiness_.emplace(
      options_.ready_lag,
      2 * std::chrono::milliseconds(options_.election_timeout_ms),
      ReplicaReadiness::Clock::now());
  absl::Status opened = OpenLog(ConfiguredAddress(*self));
  if (!opened.ok()) return opened;
  RunLoop();
  Log(LogLevel::kInfo, "replication: replica %d of %d, log in %s, raft on %s",
      options_.id, options_.replicas.size(), options_.dir, self->raft);
  return absl::OkStatus();
}

// Opens (or bootstraps) libraft's log in options_.dir, listening on
// `address`, and starts it.
absl::Status RaftNode::OpenLog(const std::string& address) {
  Impl& impl = *impl_;
  auto failed = [&](absl::string_view what, int rv) {
    return absl::FailedPreconditionError(
        absl::StrCat("replication: ", what, ": ", raft_strerror(rv)));
  };
  int rv = raft_uv_tcp_init(&impl.transport, &impl.loop);
  if (rv != 0) return failed("raft_uv_tcp_init", rv);
  impl.names = WrapTransport(&impl.transport);
  rv =
      raft_uv_init(&impl.io, &impl.loop, options_.dir.c_str(), &impl.transport);
  if (rv != 0) return failed("raft_uv_init", rv);
  // libraft 0.15's raft_uv implements async_work but still says version 1,
  // and raft_init refuses an asynchronous snapshot (fsm version 3) over an
  // io of version 1. Its next releases say 2 with the same structure.
  if (impl.io.version < 2 && impl.io.async_work != nullptr) impl.io.version = 2;
  rv = raft_init(&impl.raft, &impl.io, &impl.fsm, options_.id, address.c_str());
  if (rv != 0) return failed("raft_init", rv);
  impl.raft.data = &impl;
  raft_set_election_timeout(&impl.raft, options_.election_timeout_ms);
  raft_set_heartbeat_timeout(&impl.raft,
                             std::max(1u, options_.election_timeout_ms / 10));
  raft_set_snapshot_threshold(&impl.raft, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&impl.raft, options_.snapshot_trailing);
  impl.options = &options_;
  raft_set_pre_vote(&impl.raft, true);
  if (!options_.join) {
    raft_configuration conf;
    raft_configuration_init(&conf);
    for (const ReplicaAddress& r : options_.replicas) {
      raft_configuration_add(&conf, r.id, ConfiguredAddress(r).c_str(),
                             RAFT_VOTER);
    }
    rv = raft_bootstrap(&impl.raft, &conf);  // a no-op once bootstrapped
    raft_configuration_close(&conf);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
      return failed("raft_bootstrap", rv);
    }
  }
  rv = raft_start(&impl.raft);
  if (rv != 0) {
    absl::Status listen = CheckListen(TransportAddress(address));
    if (!listen.ok()) return listen;
    return absl::FailedPreconditionError(
        absl::StrCat("replication: raft_start: ", raft_strerror(rv), " ",
                     raft_errmsg(&impl.raft), impl.io.errmsg));
  }
  return absl::OkStatus();
}

// Starts the loop thread, with its wake-up (OnWake) and a timer that
// refreshes state_ every 5 ms.
void RaftNode::RunLoop() {
  Impl& impl = *impl_;
  impl.wake.data = &impl;
  uv_async_init(&impl.loop, &impl.wake, [](uv_async_t* handle) {
    static_cast<Impl*>(handle->data)->node->OnWake();
  });
  impl.tick.data = &impl;
  uv_timer_init(&impl.loop, &impl.tick);
  uv_timer_start(
      &impl.tick,
      [](uv_timer_t* handle) {
        static_cast<Impl*>(handle->data)->node->RefreshState();
      },
      0, 5);
  impl.thread = std::thread([&impl] {
    NameThisThread("raft-loop");
    uv_run(&impl.loop, UV_RUN_DEFAULT);
  });
}

void RaftNode::RefreshState() {
  Impl& impl = *impl_;
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(&impl.raft, &leader, &address);
  const uint64_t configuration = std::max(
      impl.raft.configuration_index, impl.raft.configuration_uncommitted_index);
  if (configuration != members_index_) {
    std::vector<RaftMember> members = Members();
    members_index_ = configuration;
    absl::MutexLock lock(&mu_);
    state_.members = std::move(members);
  }
  std::string leader_client = ClientOf(leader);
  const storage::WriterStats writer = impl.writer->stats();
  const bool ready = readiness_->Update(
      impl.raft.commit_index, impl.raft.last_applied, writer.entries_waiting,
      leader != 0, ReplicaReadiness::Clock::now());
  if (reported_ready_ != ready) {
    reported_ready_ = ready;
    if (options_.on_readiness)
      options_.on_readiness(ready, readiness_->behind());
  }
  absl::MutexLock lock(&mu_);
  state_.leader = raft_state(&impl.raft) == RAFT_LEADER;
  state_.leader_id = leader;
  state_.leader_client = std::move(leader_client);
  state_.term = impl.raft.current_term;
  state_.applied = writer.applied_entries;
}

void RaftNode::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    state_.leader = false;
  }
  if (!impl_->thread.joinable()) return;
  uv_async_send(&impl_->wake);
  impl_->thread.join();
  uv_loop_close(&impl_->loop);
}

// On the loop thread: sends what Propose and Barrier queued; after Close(),
// fails it and closes libraft and the loop's handles.
void RaftNode::OnWake() {
  Impl& impl = *impl_;
  std::vector<Proposal> proposals;
  std::vector<std::function<void(bool)>> tasks;
  bool closing;
  {
    absl::MutexLock lock(&mu_);
    proposals.swap(proposals_);
    tasks.swap(tasks_);
    closing = closed_;
  }
  for (auto& task : tasks) task(closing);
  for (Proposal& p : proposals) {
    int rv = closing ? RAFT_SHUTDOWN : Send(p);
    if (rv == 0) continue;
    p.committed(rv == RAFT_NOTLEADER ? CheckLeader() : RaftStatus(rv));
  }
  if (!closing || impl.closing) return;
  impl.closing = true;
  uv_timer_stop(&impl.tick);
  raft_close(&impl.raft, [](struct raft* r) {
    auto* impl = static_cast<Impl*>(r->data);
    raft_uv_close(&impl->io);
    raft_uv_tcp_close(&impl->transport);
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->wake), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->tick), nullptr);
  });
}

// Hands one proposal (an empty entry: a barrier) to libraft; its callback
// runs once libraft is done with it. libraft's error code when it refuses.
int RaftNode::Send(Proposal& p) {
  if (p.entry.empty()) {
    auto* request =
        new BarrierRequest{{}, std::move(p.committed), impl_->writer};
    request->req.data = request;
    // libraft calls back once it handed the entries before to the writer;
    // the read waits until the writer applied them too.
    int rv = raft_barrier(&impl_->raft, &request->req,
                          [](struct raft_barrier* req, int status) {
                            std::unique_ptr<BarrierRequest> r(
                                static_cast<BarrierRequest*>(req->data));
                            if (status != 0) return r->done(RaftStatus(status));
                            r->writer->AfterApplied(std::move(r->done));
                          });
    if (rv != 0) {
      p.committed = std::move(request->done);
      delete request;
    }
    return rv;
  }
  // libraft 0.15 sends a batch of entries unpadded but reads it as if each
  // were padded to 8 bytes: an entry of another length shifts the ones
  // after it. Every entry is padded (Writer::ApplyEntry ignores the zeros).
  p.entry.resize((p.entry.size() + 7) / 8 * 8, '\0');
  raft_buffer buf{raft_malloc(p.entry.size()), p.entry.size()};
  memcpy(buf.base, p.entry.data(), p.entry.size());
  auto* request = new ApplyRequest{{}, std::move(p.committed)};
  request->req.data = request;
  int rv = raft_apply(
      &impl_->raft, &request->req, &buf, 1,
      [](struct raft_apply* req, int status, void*) {
        std::unique_ptr<ApplyRequest> r(static_cast<ApplyRequest*>(req->data));
        r->committed(RaftStatus(status));
      });
  if (rv != 0) {
    raft_free(buf.base);
    p.committed = std::move(request->committed);
    delete request;
  }
  return rv;
}

absl::Status RaftNode::CatchUp(uint64_t index) {
  if (!options_.catch_up) {
    return absl::UnimplementedError("this replica cannot copy data");
  }
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(&impl_->raft, &leader, &address);
  std::string from = ClientOf(leader);
  if (from.empty()) {
    return absl::UnavailableError("no leader is known to copy the data from");
  }
  Log(LogLevel::kInfo,
      "replication: the leader's log starts after entry %d, past this "
      "replica's data: copying the data of replica %d (%s)",
      index, leader, from);
  // Not ready while the copy goes on: the loop waits for it (no refresh),
  // and a replica whose log the leader rejected may not know the commit
  // index yet.
  reported_ready_ = false;
  if (options_.on_readiness) {
    const uint64_t applied = impl_->raft.last_applied;
    options_.on_readiness(false, index > applied ? index - applied : 0);
  }
  return options_.catch_up(from, index);
}

absl::Status RaftNode::CheckLeader() const {
  absl::MutexLock lock(&mu_);
  if (state_.leader && !closed_) return absl::OkStatus();
  return storage::NotLeaderError(state_.leader_client);
}

void RaftNode::Propose(std::string entry,
                       std::function<void(absl::Status)> committed) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      proposals_.push_back(Proposal{std::move(entry), std::move(committed)});
      uv_async_send(&impl_->wake);
      return;
    }
  }
  committed(absl::UnavailableError("this replica is shutting down"));
}

void RaftNode::Barrier(std::function<void(absl::Status)> done) {
  absl::Status leader = CheckLeader();
  if (!leader.ok()) return done(leader);
  Propose("", std::move(done));  // an empty entry is a barrier (Send)
}

RaftState RaftNode::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

}  // namespace lmdbapi::server
