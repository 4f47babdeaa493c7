// Catching up from a snapshot (docs/REPLICATION.md): when the leader's log
// no longer holds the entries a replica is missing, the replica copies the
// leader's data (Admin/Snapshot, a compacted copy streamed over gRPC) into
// a directory of its own and installs it in place of its data
// (storage::ReplicaSnapshot), then follows the log from there.
#ifndef LMDBAPI_SERVER_REPLICATION_SNAPSHOT_FETCH_H_
#define LMDBAPI_SERVER_REPLICATION_SNAPSHOT_FETCH_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/security/credentials.h"
#include "storage/writer.h"

namespace lmdbapi::server {

struct SnapshotSource {
  std::string address;     // the replica's client address (host:port)
  std::string auth_token;  // sent as a bearer token when not empty
  // The shard's --replication_token, sent when not empty
  // (kReplicationTokenHeader).
  std::string replication_token;
  // Of the call to the replica (PeerCredentials); nullptr: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// The metadata that carries a replica's --replication_token.
inline constexpr char kReplicationTokenHeader[] = "x-lmdbapi-replication-token";

// Copies the database of `from` into `dir` (emptied first) as
// `dir`/data.mdb, which appears only once whole.
absl::Status FetchSnapshot(const SnapshotSource& from, const std::string& dir);

// Fetches a snapshot from `from` into `dir`, checks that it holds the log
// up to `index` at least, installs it through `writer` and removes `dir`.
absl::Status CatchUpFromSnapshot(const SnapshotSource& from, uint64_t index,
                                 const std::string& dir,
                                 storage::Writer& writer);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_SNAPSHOT_FETCH_H_
