// RaftNode's libraft and libuv structures (raft_node.h), shared by its
// files: raft_node.cc (the log and the state machine) and
// raft_membership.cc (membership changes).
#ifndef LMDBAPI_SERVER_REPLICATION_RAFT_NODE_IMPL_H_
#define LMDBAPI_SERVER_REPLICATION_RAFT_NODE_IMPL_H_

#include <uv.h>

#include <functional>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "server/replication/named_addresses.h"
#include "server/replication/raft_node.h"

namespace lmdbapi::server {

struct RaftNode::Impl {
  RaftNode* node = nullptr;
  storage::Writer* writer = nullptr;
  MDB_env* env = nullptr;
  uv_loop_t loop{};
  uv_async_t wake{};  // proposals queued, or Close()
  uv_timer_t tick{};  // refreshes RaftNode::state_
  raft_uv_transport transport{};
  std::unique_ptr<TransportWraps, TransportWrapsDeleter> names;
  raft_io io{};
  raft_fsm fsm{};
  struct raft raft {};
  // The node's options (its snapshot thresholds), and the entries applied
  // since the last snapshot: the log bounded by bytes (raft_node.cc,
  // CountTowardsSnapshot and SnapshotTaken).
  const RaftOptions* options = nullptr;
  uint64_t bytes_since_snapshot = 0;
  uint64_t entries_since_snapshot = 0;
  // The entries handed to the writer (Writer::ApplyEntryLater), counted as
  // the writer counts them: the index a snapshot records.
  uint64_t handed = 0;
  bool closing = false;
  std::thread thread;
  std::function<absl::Status(uint64_t index)> catch_up;  // RaftNode::CatchUp
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_RAFT_NODE_IMPL_H_
