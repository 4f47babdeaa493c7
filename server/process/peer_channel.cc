#include "server/process/peer_channel.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>
#include <utility>

#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace lmdbapi::server {

std::shared_ptr<grpc::Channel> PeerChannel(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    int64_t max_message_bytes) {
  const int bytes = static_cast<int>(
      std::min<int64_t>(max_message_bytes, std::numeric_limits<int>::max()));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(bytes);
  args.SetMaxSendMessageSize(bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(
      GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
      static_cast<int>(absl::ToInt64Milliseconds(kPeerReconnectBackoff)));
  return grpc::CreateCustomChannel(address,
                                   credentials != nullptr
                                       ? std::move(credentials)
                                       : grpc::InsecureChannelCredentials(),
                                   args);
}

int AwaitGrpcShutdown(int exit_code, absl::Duration limit) {
  // grpc_is_initialized() takes the lock gRPC's shutdown holds throughout,
  // so it answers false only once that shutdown has ended.
  const absl::Time deadline = absl::Now() + limit;
  while (grpc_is_initialized() && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code;
}

}  // namespace lmdbapi::server
