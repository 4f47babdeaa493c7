// One replica of a replicated shard (docs/REPLICATION.md): a libraft voter
// running on its own libuv loop thread, with the database as its state
// machine. libraft elects the leader, replicates the log and keeps it
// durable; this class hands it the writer's batches (Propose) and hands the
// writer every committed entry back (Writer::ApplyEntry), on every replica.
//
//   auto node = RaftNode::Create(options, &db->writer(), db->env().raw());
//   db->Replicate(node->get(), options.id);  // the writer first: see Start
//   (*node)->Start();
//   ...
//   (*node)->Close();  // before the database closes
#ifndef LMDBAPI_SERVER_REPLICATION_RAFT_NODE_H_
#define LMDBAPI_SERVER_REPLICATION_RAFT_NODE_H_

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/replication/replica_address.h"
#include "server/replication/replica_readiness.h"
#include "storage/writer.h"

namespace lmdbapi::server {

struct RaftOptions {
  uint64_t id = 0;                       // this replica, one of `replicas`
  std::vector<ReplicaAddress> replicas;  // every voter of the shard
  std::string dir;                       // the log (and libraft's metadata)
  unsigned election_timeout_ms = 1000;   // heartbeats every tenth of it
  // A snapshot (the applied index; the data stays in LMDB) after this many
  // entries, keeping `snapshot_trailing` entries of log behind it for
  // followers that lag.
  unsigned snapshot_threshold = 4096;
  unsigned snapshot_trailing = 65536;
  // The same by bytes, which bounds the memory of libraft's log (it holds
  // every entry since the snapshot before last): a snapshot also once the
  // entries since the last hold this many bytes, and at most about this
  // many bytes of entries kept behind it (fewer than `snapshot_trailing`
  // entries when they are large: an import's batches).
  uint64_t snapshot_bytes = uint64_t{256} << 20;
  // A replica being added to a running group (server --join): its log
  // starts empty, and the leader's configuration reaches it with the log,
  // instead of `replicas` becoming the group's first configuration.
  bool join = false;
  // Brings this replica's data up to log entry `index` at least, copying it
  // from the replica whose client address is `leader` (the leader sent a
  // snapshot at `index` because its log no longer holds the entries this
  // replica misses): server/replication/snapshot_fetch.h. Unset: such a
  // replica cannot catch up, and says so.
  std::function<absl::Status(const std::string& leader, uint64_t index)>
      catch_up;
  // Readiness (server/replication/replica_readiness.h): not ready while
  // more than `ready_lag` committed entries are not applied, or after the
  // start until a leader is heard of (at most two election timeouts).
  // `on_readiness` gets each change, from the loop thread.
  uint64_t ready_lag = 1000;
  std::function<void(bool ready, uint64_t behind)> on_readiness;
};

// A member of the group, as its configuration (in the log) has it.
struct RaftMember {
  ReplicaAddress address;
  // "voter"; "standby" or "spare" while being added (libraft's roles).
  std::string role;
};

// What a replica knows of its group (health, metrics, tests).
struct RaftState {
  bool leader = false;
  uint64_t leader_id = 0;  // 0: none known
  std::string leader_client;
  uint64_t term = 0;
  uint64_t applied = 0;             // entries of the log applied to LMDB
  std::vector<RaftMember> members;  // the latest configuration, by id
};

class RaftNode : public storage::Replicator {
 public:
  // A replica of `options`, not started: `writer` is to apply its entries
  // (and replicate through it: Database::Replicate), `env` is synced before
  // a snapshot.
  static absl::StatusOr<std::unique_ptr<RaftNode>> Create(
      RaftOptions options, storage::Writer* writer, MDB_env* env);
  // Opens (or bootstraps, the first time, with every replica of
  // options.replicas a voter) the log in options.dir and starts the loop
  // thread. Once the writer replicates: starting replays the log into it,
  // from the entry after the last its data applied (a data directory
  // restored to start a new log applied none: server --restore_from).
  absl::Status Start();
  ~RaftNode() override;  // Close()s
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Leaves the group (to the others: stops answering) and stops the loop;
  // proposals in flight fail UNAVAILABLE, later ones at once. Idempotent.
  void Close();

  absl::Status CheckLeader() const override;
  void Propose(std::string entry,
               std::function<void(absl::Status)> committed) override;
  void Barrier(std::function<void(absl::Status)> done) override;
  RaftState state() const;
  uint64_t id() const { return options_.id; }

  // Membership changes (docs/REPLICATION.md), on the leader; elsewhere
  // `done` gets NOT_LEADER naming it. `done` runs on the loop thread.
  using Done = std::function<void(absl::Status)>;
  // Adds `replica` as a voter once it has caught up with the log (libraft
  // adds it as a spare, then promotes it); ALREADY_EXISTS when its id is a
  // member.
  void AddVoter(ReplicaAddress replica, Done done);
  // Removes replica `id`; NOT_FOUND when it is not a member. Removing the
  // leader itself moves the lead to another voter first, then answers
  // NOT_LEADER naming it (where the call is to be made again).
  void Remove(uint64_t id, Done done);

  struct Impl;  // libraft's and libuv's structures (raft_node.cc)

 private:
  explicit RaftNode(RaftOptions options);
  // The client address of replica `id`, "" when unknown.
  std::string ClientOf(uint64_t id) const;
  // libraft's restore callback's step: options_.catch_up from the leader.
  absl::Status CatchUp(uint64_t index);

  const RaftOptions options_;
  std::unique_ptr<Impl> impl_;
  mutable absl::Mutex mu_;
  RaftState state_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  struct Proposal {
    std::string entry;  // empty: a barrier
    std::function<void(absl::Status)> committed;
  };
  std::vector<Proposal> proposals_ ABSL_GUARDED_BY(mu_);
  // Work for the loop thread (membership changes); `closing`: fail it.
  std::vector<std::function<void(bool closing)>> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t members_index_ = 0;  // the configuration state_.members is of
  // The loop thread's: readiness, and the last one reported.
  std::optional<ReplicaReadiness> readiness_;
  std::optional<bool> reported_ready_;
  absl::Status OpenLog(const std::string& address);
  void RunLoop();
  // The loop thread's steps.
  void OnWake();
  int Send(Proposal& p);
  void RefreshState();
  // Queues `task` for the loop thread.
  void RunOnLoop(std::function<void(bool closing)> task);
  // The loop thread's membership steps.
  void StartAdd(ReplicaAddress replica, Done done);
  void StartRemove(uint64_t id, Done done);
  void TransferLead(Done done);
  std::vector<RaftMember> Members() const;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_RAFT_NODE_H_
