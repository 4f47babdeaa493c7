#include "server/replication/leader_forwarder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/process/peer_channel.h"
#include "storage/status.h"

namespace lmdbapi::server {
namespace {

constexpr char kForwarded[] = "x-lmdbapi-forwarded";
// The caller's metadata a forwarded write takes along.
constexpr const char* kForwardedMetadata[] = {
    "authorization",    "if-match",      "x-shard-key",
    "x-client-subject", "x-consistency", "x-min-revision"};
// The leader's answer metadata a forwarded call's caller gets.
constexpr const char* kAnsweredMetadata[] = {"etag", "x-revision"};

// One forwarded call's state, alive until its callback ran.
struct ForwardedCall {
  grpc::ClientContext client;
  grpc::ByteBuffer request, response;
};

}  // namespace

std::string LeaderForwarder::LeaderFor(
    const absl::Status& status, const grpc::CallbackServerContext& context) {
  if (storage::ReasonOf(status) != storage::kNotLeaderReason) return "";
  if (context.client_metadata().count(kForwarded) != 0) return "";
  return storage::LeaderOf(status);
}

grpc::GenericStub* LeaderForwarder::StubFor(const std::string& leader) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<grpc::GenericStub>& stub = stubs_[leader];
  if (stub == nullptr) {
    stub = std::make_unique<grpc::GenericStub>(
        PeerChannel(leader, credentials_, max_message_bytes_));
  }
  return stub.get();
}

void LeaderForwarder::Forward(grpc::CallbackServerContext* context,
                              const std::string& leader,
                              const std::string& method, std::string request,
                              Done done) {
  auto call = std::make_shared<ForwardedCall>();
  call->client.set_deadline(context->deadline());
  for (const char* key : kForwardedMetadata) {
    auto [it, end] = context->client_metadata().equal_range(key);
    for (; it != end; ++it) {
      call->client.AddMetadata(
          key, std::string(it->second.data(), it->second.size()));
    }
  }
  call->client.AddMetadata(kForwarded, "1");
  grpc::Slice slice(request);
  call->request = grpc::ByteBuffer(&slice, 1);
  StubFor(leader)->UnaryCall(
      &call->client, method, grpc::StubOptions(), &call->request,
      &call->response,
      [call, context, leader, done = std::move(done)](grpc::Status status) {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          // Say where the call went: the leader may be unreachable (e.g. it
          // serves TLS and this replica has no --peer_ca), or answered so.
          status = grpc::Status(status.error_code(),
                                absl::StrCat("forwarded to the leader ", leader,
                                             ": ", status.error_message()),
                                status.error_details());
        }
        std::string answer;
        grpc::Slice bytes;
        if (status.ok() && call->response.DumpToSingleSlice(&bytes).ok()) {
          answer.assign(reinterpret_cast<const char*>(bytes.begin()),
                        bytes.size());
        }
        const auto& metadata = call->client.GetServerInitialMetadata();
        for (const char* key : kAnsweredMetadata) {
          auto found = metadata.find(key);
          if (!status.ok() || found == metadata.end()) continue;
          context->AddInitialMetadata(
              key, std::string(found->second.data(), found->second.size()));
        }
        done(std::move(status), std::move(answer));
      });
}

}  // namespace lmdbapi::server
