// `lmdbapi replicas`: a replicated shard's membership, through any of its
// replicas (Admin/Replicas, AddReplica, RemoveReplica; docs/REPLICATION.md).
//
//   lmdbapi replicas --server ADDR [list]
//   lmdbapi replicas --server ADDR add ID RAFT_HOST:PORT CLIENT_HOST:PORT
//   lmdbapi replicas --server ADDR remove ID
//
// A change asked of a follower is answered NOT_LEADER naming the leader;
// the command asks the leader then (a few times: removing the leader moves
// the lead first).
#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/remote_backend_impl.h"
#include "cli/remote_commands.h"
#include "google/rpc/status.pb.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "proto/lmdbapi/error_info.pb.h"

namespace lmdbapi::cli {
namespace {

constexpr char kUsage[] =
    "[list] | add ID RAFT_HOST:PORT CLIENT_HOST:PORT | remove ID";
constexpr int kLeaderHops = 3;

// The leader a NOT_LEADER answer names ("" for any other answer).
std::string LeaderIn(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return "";
  for (const auto& detail : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info) && info.reason() == "NOT_LEADER") {
      auto leader = info.metadata().find("leader");
      return leader == info.metadata().end() ? "" : leader->second;
    }
  }
  return "";
}

void PrintReplicas(const admin::v1::ReplicasResponse& group) {
  printf("%-4s %-8s %-7s %-24s %s\n", "ID", "ROLE", "LEADER", "RAFT", "CLIENT");
  for (const admin::v1::Replica& r : group.replicas()) {
    printf("%-4llu %-8s %-7s %-24s %s\n",
           static_cast<unsigned long long>(r.id()), r.role().c_str(),
           r.leader() ? "yes" : "", r.raft_address().c_str(),
           r.client_address().c_str());
  }
  printf("term %llu; replica %llu answered, applied %llu log entries\n",
         static_cast<unsigned long long>(group.term()),
         static_cast<unsigned long long>(group.replica_id()),
         static_cast<unsigned long long>(group.applied()));
}

using Call =
    std::function<grpc::Status(admin::v1::Admin::Stub*, grpc::ClientContext*,
                               admin::v1::ReplicasResponse*)>;

// Makes `call` on options.address, then on the leader each NOT_LEADER
// answer names.
int CallFollowingLeader(RemoteOptions options, const Call& call) {
  grpc::Status status;
  for (int hop = 0; hop <= kLeaderHops; ++hop) {
    auto connection = Connection::Open(options);
    if (!connection.ok()) {
      std::cerr << "lmdbapi replicas: " << connection.status().message()
                << "\n";
      return absl::IsInvalidArgument(connection.status()) ? 2 : 1;
    }
    auto stub = admin::v1::Admin::NewStub((*connection)->channel());
    auto context = (*connection)->NewContext(false);
    admin::v1::ReplicasResponse group;
    status = call(stub.get(), context.get(), &group);
    if (status.ok()) {
      PrintReplicas(group);
      return 0;
    }
    std::string leader = LeaderIn(status);
    if (leader.empty() || leader == options.address) break;
    std::cerr << "lmdbapi replicas: asking the leader, " << leader << "\n";
    options.address = leader;
  }
  absl::Status failed = FromGrpc(status, "Admin/Replicas");
  std::cerr << "lmdbapi replicas: " << absl::StatusCodeToString(failed.code())
            << ": " << failed.message() << "\n";
  return absl::IsInvalidArgument(failed) ? 2 : 1;
}

int Usage() {
  std::cerr << "lmdbapi replicas: usage: lmdbapi replicas --server ADDR "
            << kUsage << "\n";
  return 2;
}

}  // namespace

int RunReplicas(const RemoteOptions& options,
                const std::vector<std::string>& args) {
  const std::string verb = args.empty() ? "list" : args[0];
  uint64_t id = 0;
  if (verb == "list" && args.size() <= 1) {
    return CallFollowingLeader(
        options, [](auto* stub, auto* context, auto* group) {
          return stub->Replicas(context, admin::v1::ReplicasRequest(), group);
        });
  }
  if (args.size() < 2 || !absl::SimpleAtoi(args[1], &id) || id == 0) {
    return Usage();
  }
  if (verb == "add" && args.size() == 4) {
    admin::v1::AddReplicaRequest request;
    request.set_id(id);
    request.set_raft_address(args[2]);
    request.set_client_address(args[3]);
    return CallFollowingLeader(
        options, [&request](auto* stub, auto* context, auto* group) {
          return stub->AddReplica(context, request, group);
        });
  }
  if (verb == "remove" && args.size() == 2) {
    admin::v1::RemoveReplicaRequest request;
    request.set_id(id);
    return CallFollowingLeader(
        options, [&request](auto* stub, auto* context, auto* group) {
          return stub->RemoveReplica(context, request, group);
        });
  }
  return Usage();
}

}  // namespace lmdbapi::cli
