// Admin/Replicas, AddReplica and RemoveReplica: a replicated shard's
// membership (proto/lmdbapi/admin.proto, docs/REPLICATION.md), through
// this server's RaftNode.
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/table/admin_service.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {
namespace {

void FillReplicas(const RaftState& state, uint64_t replica_id,
                  admin::v1::ReplicasResponse* response) {
  response->Clear();
  for (const RaftMember& m : state.members) {
    admin::v1::Replica* r = response->add_replicas();
    r->set_id(m.address.id);
    r->set_raft_address(m.address.raft);
    r->set_client_address(m.address.client);
    r->set_role(m.role);
    r->set_leader(m.address.id == state.leader_id);
  }
  response->set_leader_id(state.leader_id);
  response->set_term(state.term);
  response->set_replica_id(replica_id);
  response->set_applied(state.applied);
}

// Whether replica `id` is a member (with `role`, when not empty).
bool IsMember(const RaftState& state, uint64_t id, absl::string_view role) {
  for (const RaftMember& m : state.members) {
    if (m.address.id == id) return role.empty() || m.role == role;
  }
  return false;
}

// "HOST:PORT" with a port in 1..65535; INVALID_ARGUMENT naming `field`.
absl::Status CheckAddress(absl::string_view field, const std::string& value) {
  size_t colon = value.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 1 ||
      port > 65535 || value.find_first_of("=, ") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", value, "' is not HOST:PORT (a port in 1..65535)"));
  }
  return absl::OkStatus();
}

// What a change's callback sets, shared with the loop thread (the call may
// end before it runs).
struct Pending {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
};

}  // namespace

grpc::Status AdminService::CheckReplica(grpc::ServerContext* context) const {
  grpc::Status allowed = Allowed(context);
  if (!allowed.ok()) return allowed;
  if (replica_ == nullptr) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        "this server is not a replica of a replicated shard (no "
        "--replica_id)"));
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Replicas(grpc::ServerContext* context,
                                    const admin::v1::ReplicasRequest*,
                                    admin::v1::ReplicasResponse* response) {
  auto start = std::chrono::steady_clock::now();
  grpc::Status checked = CheckReplica(context);
  if (!checked.ok()) return Recorded("Replicas", start, checked);
  FillReplicas(replica_->state(), replica_->id(), response);
  return Recorded("Replicas", start, grpc::Status::OK);
}

grpc::Status AdminService::AddReplica(
    grpc::ServerContext* context, const admin::v1::AddReplicaRequest* request,
    admin::v1::ReplicasResponse* response) {
  auto start = std::chrono::steady_clock::now();
  absl::Status valid =
      request->id() == 0
          ? absl::InvalidArgumentError("id: a replica id, from 1")
          : CheckAddress("raft_address", request->raft_address());
  if (valid.ok()) {
    valid = CheckAddress("client_address", request->client_address());
  }
  if (!valid.ok()) return Recorded("AddReplica", start, ToGrpcStatus(valid));
  ReplicaAddress replica{request->id(), request->raft_address(),
                         request->client_address()};
  const uint64_t id = request->id();
  return Recorded(
      "AddReplica", start,
      ChangeMembers(
          context,
          [this, replica](RaftNode::Done done) {
            replica_->AddVoter(replica, std::move(done));
          },
          [id](const RaftState& s) { return IsMember(s, id, "voter"); },
          response));
}

grpc::Status AdminService::RemoveReplica(
    grpc::ServerContext* context,
    const admin::v1::RemoveReplicaRequest* request,
    admin::v1::ReplicasResponse* response) {
  auto start = std::chrono::steady_clock::now();
  if (request->id() == 0) {
    return Recorded("RemoveReplica", start,
                    ToGrpcStatus(absl::InvalidArgumentError(
                        "id: the id of the replica to remove, from 1")));
  }
  const uint64_t id = request->id();
  return Recorded(
      "RemoveReplica", start,
      ChangeMembers(
          context,
          [this, id](RaftNode::Done done) {
            replica_->Remove(id, std::move(done));
          },
          [id](const RaftState& s) { return !IsMember(s, id, ""); }, response));
}

// Runs `change` and waits for it (or the call's deadline: the change goes
// on), then for this replica's view of the group to show it (`visible`),
// and answers the group.
grpc::Status AdminService::ChangeMembers(
    grpc::ServerContext* context,
    const std::function<void(RaftNode::Done)>& change,
    const std::function<bool(const RaftState&)>& visible,
    admin::v1::ReplicasResponse* response) {
  grpc::Status checked = CheckReplica(context);
  if (!checked.ok()) return checked;
  auto pending = std::make_shared<Pending>();
  change([pending](absl::Status status) {
    absl::MutexLock lock(&pending->mu);
    pending->status = std::move(status);
    pending->done = true;
  });
  absl::Status status;
  {
    absl::MutexLock lock(&pending->mu);
    absl::Time deadline =
        context->deadline() == std::chrono::system_clock::time_point::max()
            ? absl::InfiniteFuture()
            : absl::FromChrono(context->deadline());
    if (!pending->mu.AwaitWithDeadline(absl::Condition(&pending->done),
                                       deadline)) {
      return ToGrpcStatus(absl::DeadlineExceededError(
          "the membership change did not finish within the call's deadline; "
          "it goes on: see Admin/Replicas"));
    }
    status = pending->status;
  }
  if (!status.ok()) return ToGrpcStatus(status);
  // The replica's view refreshes every few milliseconds.
  for (int i = 0; i < 200 && !visible(replica_->state()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FillReplicas(replica_->state(), replica_->id(), response);
  return grpc::Status::OK;
}

}  // namespace lmdbapi::server
