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
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/replication/replica_address.h"
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
  // Brings this replica's data up to log entry `index` at least, copying it
  // from the replica whose client address is `leader` (the leader sent a
  // snapshot at `index` because its log no longer holds the entries this
  // replica misses): server/replication/snapshot_fetch.h. Unset: such a
  // replica cannot catch up, and says so.
  std::function<absl::Status(const std::string& leader, uint64_t index)>
      catch_up;
};

// What a replica knows of its group (health, metrics, tests).
struct RaftState {
  bool leader = false;
  uint64_t leader_id = 0;  // 0: none known
  std::string leader_client;
  uint64_t term = 0;
  uint64_t applied = 0;  // entries of the log applied to LMDB
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
  absl::Status OpenLog(const std::string& address);
  void RunLoop();
  // The loop thread's steps.
  void OnWake();
  int Send(Proposal& p);
  void RefreshState();
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_RAFT_NODE_H_
