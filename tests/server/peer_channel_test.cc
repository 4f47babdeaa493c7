// Peer channels (server/process/peer_channel.h): a channel whose peer could
// not be reached is kept by gRPC until its reconnect backoff ends, and
// AwaitGrpcShutdown waits for gRPC to let go of it before the process goes
// on to exit. With a real channel to a closed loopback port.
#include "server/process/peer_channel.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "gtest/gtest.h"

namespace lmdbapi::server {
namespace {

// "127.0.0.1:PORT" of a port that was just bound and closed: connecting to
// it is refused.
std::string ClosedLoopbackAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

TEST(PeerChannelTest, AFailedChannelIsShutDownWhenAwaitGrpcShutdownReturns) {
  {
    std::shared_ptr<grpc::Channel> channel =
        PeerChannel(ClosedLoopbackAddress(), nullptr, 4 << 20);
    EXPECT_FALSE(channel->WaitForConnected(std::chrono::system_clock::now() +
                                           std::chrono::seconds(2)));
  }
  // The backoff (1 s at most, with its jitter) ends well within the wait's
  // limit (3 s): gRPC has shut down, not just the wait run out.
  EXPECT_EQ(AwaitGrpcShutdown(7), 7);
  EXPECT_FALSE(grpc_is_initialized());
}

TEST(PeerChannelTest, AwaitGrpcShutdownReturnsAtOnceWithoutGrpc) {
  const absl::Time start = absl::Now();
  EXPECT_EQ(AwaitGrpcShutdown(3), 3);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
}

}  // namespace
}  // namespace lmdbapi::server
