// The replicas of a replicated shard, as --replicas names them.
#ifndef LMDBAPI_SERVER_REPLICATION_REPLICA_ADDRESS_H_
#define LMDBAPI_SERVER_REPLICATION_REPLICA_ADDRESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::server {

// A voter of the shard: its id (1, 2, …), the address its replication
// (libraft) listens on, and the address clients reach its gRPC services at
// (what a follower names as the leader).
struct ReplicaAddress {
  uint64_t id = 0;
  std::string raft;
  std::string client;
};

// Parses "1=127.0.0.1:7001=127.0.0.1:50051,2=…" (id, replication address,
// client address; ids from 1, each once). INVALID_ARGUMENT naming the bad
// item.
absl::StatusOr<std::vector<ReplicaAddress>> ParseReplicas(
    absl::string_view text);

// A replica's address as the group's configuration (in its log) keeps it:
// "RAFT_HOST:PORT=CLIENT_HOST:PORT", so that every replica knows where
// clients reach every other, added ones included. The transport connects to
// the part before '=' (TransportAddress).
std::string ConfiguredAddress(const ReplicaAddress& replica);
// The replica `id` configured as `address`; a group bootstrapped before
// client addresses were kept there ("RAFT_HOST:PORT") has client "".
ReplicaAddress FromConfiguredAddress(uint64_t id, absl::string_view address);
// What the transport listens on or connects to: RAFT_HOST:PORT.
std::string TransportAddress(absl::string_view address);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_REPLICA_ADDRESS_H_
