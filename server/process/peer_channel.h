// The channels a process opens to other lmdbapi servers (the router's
// shards, a replica's leader and snapshot source, the CLI's --server), and
// the wait at exit for gRPC to let go of them.
//
//   auto channel = PeerChannel("10.0.0.7:50051", credentials, 4 << 20);
//   ...
//   return AwaitGrpcShutdown(code);  // the last thing main does
#ifndef LMDBAPI_SERVER_PROCESS_PEER_CHANNEL_H_
#define LMDBAPI_SERVER_PROCESS_PEER_CHANNEL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace lmdbapi::server {

// The longest a channel waits before it tries an unreachable peer again
// (gRPC's default grows to 120 s). Calls fail fast (UNAVAILABLE) while it
// waits, so this is also how long a peer that is back stays unanswered.
inline constexpr absl::Duration kPeerReconnectBackoff = absl::Seconds(1);

// A channel to `address` with `credentials`, sending and receiving messages
// up to `max_message_bytes` (-1: unlimited), and reconnecting to a lost peer
// after 100 ms, growing to kPeerReconnectBackoff.
std::shared_ptr<grpc::Channel> PeerChannel(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    int64_t max_message_bytes);

// Waits, at most `limit`, for gRPC to have shut down, and returns
// `exit_code`. Call it once every gRPC object of the process is destroyed.
// A channel whose peer could not be reached is kept by gRPC until its
// reconnect backoff ends, then shut down on a thread of gRPC's own; a
// process that exits meanwhile exits in the middle of that shutdown (the
// sanitizer build saw OpenSSL's objects of a failed handshake as leaks).
int AwaitGrpcShutdown(int exit_code,
                      absl::Duration limit = 2 * kPeerReconnectBackoff +
                                             absl::Seconds(1));

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_PROCESS_PEER_CHANNEL_H_
