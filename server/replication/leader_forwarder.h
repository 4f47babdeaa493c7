// A follower's writes, sent on to the leader (docs/REPLICATION.md): a write
// that reaches a follower of a replicated shard is forwarded, as the caller
// sent it, to the leader its refusal names (NOT_LEADER), and the leader's
// answer goes back to the caller. So any replica takes writes: nginx, the
// fan-out router and clients need not know which one leads.
//
// A forwarded call carries x-lmdbapi-forwarded; its receiver never forwards
// it again (a leader that just lost the lead answers NOT_LEADER instead, and
// the caller retries). The caller's authorization, x-client-subject,
// x-shard-key and if-match metadata and its deadline go with it; the
// leader's etag comes back. Replicas talk plaintext to each other, as the
// router does to shards.
#ifndef LMDBAPI_SERVER_REPLICATION_LEADER_FORWARDER_H_
#define LMDBAPI_SERVER_REPLICATION_LEADER_FORWARDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"

namespace lmdbapi::server {

class LeaderForwarder {
 public:
  // `credentials`: of the calls to the leader (PeerCredentials).
  LeaderForwarder(size_t max_message_bytes,
                  std::shared_ptr<grpc::ChannelCredentials> credentials)
      : max_message_bytes_(max_message_bytes),
        credentials_(std::move(credentials)) {}

  // The leader to forward a write to, after it failed with `status` on this
  // replica: the leader's address, or "" when the write is not to be
  // forwarded (not NOT_LEADER, no leader known, or already forwarded once).
  static std::string LeaderFor(const absl::Status& status,
                               const grpc::CallbackServerContext& context);

  // Calls `method` ("/pkg.Service/Method") on `leader` with `request` (the
  // serialized request); `done` (on a gRPC thread) gets the leader's status
  // and serialized answer, after `context` got the leader's etag.
  using Done = std::function<void(grpc::Status, std::string answer)>;
  void Forward(grpc::CallbackServerContext* context, const std::string& leader,
               const std::string& method, std::string request, Done done);

 private:
  grpc::GenericStub* StubFor(const std::string& leader);

  const size_t max_message_bytes_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_REPLICATION_LEADER_FORWARDER_H_
