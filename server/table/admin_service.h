// lmdbapi.admin.v1.Admin (proto/lmdbapi/admin.proto): online backups of the
// server's database into --backup_dir, the server's metrics, and Stat and
// Verify of its database, and snapshots streamed to another replica. A
// synchronous service: a backup takes as long as copying the data, on a
// thread of gRPC's pool, never on the callback threads that serve the tables.
// Its calls are recorded in the metrics too, as service "Admin".
#ifndef LMDBAPI_SERVER_TABLE_ADMIN_SERVICE_H_
#define LMDBAPI_SERVER_TABLE_ADMIN_SERVICE_H_

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "server/access/access.h"
#include "server/observability/metrics.h"
#include "server/replication/raft_node.h"
#include "storage/database.h"

namespace lmdbapi::server {

// The directory a backup named `name` goes to under `backup_dir`;
// INVALID_ARGUMENT naming the field when `name` is not a plain directory
// name. An empty name becomes "backup-<UTC time with milliseconds>".
absl::StatusOr<std::string> BackupPath(const std::string& backup_dir,
                                       const std::string& name);

class AdminService final : public admin::v1::Admin::Service {
 public:
  // Backup, Stat and Verify need admin on every table ("*"), Rebuild admin
  // on its table (`access`: nullptr, open); Metrics is open (see
  // admin.proto). `metrics` may be nullptr (then Metrics renders the
  // database's figures only).
  AdminService(storage::Database* db, std::string backup_dir,
               const access::Access* access, server::Metrics* metrics)
      : db_(db),
        backup_dir_(std::move(backup_dir)),
        access_(access),
        metrics_(metrics) {}

  grpc::Status Backup(grpc::ServerContext* context,
                      const admin::v1::BackupRequest* request,
                      admin::v1::BackupResponse* response) override;
  grpc::Status Metrics(grpc::ServerContext* context,
                       const admin::v1::MetricsRequest* request,
                       admin::v1::MetricsResponse* response) override;
  // Stat and Verify need admin, as Backup; each reads one snapshot.
  grpc::Status Stat(grpc::ServerContext* context,
                    const admin::v1::StatRequest* request,
                    admin::v1::StatResponse* response) override;
  grpc::Status Verify(grpc::ServerContext* context,
                      const admin::v1::VerifyRequest* request,
                      admin::v1::VerifyResponse* response) override;
  // Starts online rebuilds (storage Database::Rebuild); needs admin on the
  // table (on "*" when the request names none).
  grpc::Status Rebuild(grpc::ServerContext* context,
                       const admin::v1::RebuildRequest* request,
                       admin::v1::RebuildResponse* response) override;
  // Streams a compacted copy of the database (admin_snapshot.cc); needs
  // admin, as Backup.
  grpc::Status Snapshot(
      grpc::ServerContext* context, const admin::v1::SnapshotRequest* request,
      grpc::ServerWriter<admin::v1::SnapshotChunk>* writer) override;
  // The shard's replicas and changes to them (admin_replicas.cc): need
  // admin, and a replica (set_replica).
  grpc::Status Replicas(grpc::ServerContext* context,
                        const admin::v1::ReplicasRequest* request,
                        admin::v1::ReplicasResponse* response) override;
  grpc::Status AddReplica(grpc::ServerContext* context,
                          const admin::v1::AddReplicaRequest* request,
                          admin::v1::ReplicasResponse* response) override;
  grpc::Status RemoveReplica(grpc::ServerContext* context,
                             const admin::v1::RemoveReplicaRequest* request,
                             admin::v1::ReplicasResponse* response) override;
  // This server's replica of a replicated shard (server --replica_id), for
  // the membership calls (without it they answer FAILED_PRECONDITION), and
  // the shard's --replication_token, which Snapshot takes in place of an
  // admin credential.
  void set_replica(RaftNode* replica, std::string replication_token) {
    replica_ = replica;
    replication_token_ = std::move(replication_token);
  }

 private:
  grpc::Status DoBackup(grpc::ServerContext* context,
                        const admin::v1::BackupRequest* request,
                        admin::v1::BackupResponse* response);
  // The membership calls' steps (admin_replicas.cc).
  grpc::Status CheckReplica(grpc::ServerContext* context) const;
  grpc::Status ChangeMembers(
      grpc::ServerContext* context,
      const std::function<void(RaftNode::Done)>& change,
      const std::function<bool(const RaftState&)>& visible,
      admin::v1::ReplicasResponse* response);
  grpc::Status SendSnapshot(
      grpc::ServerContext* context,
      grpc::ServerWriter<admin::v1::SnapshotChunk>* writer);
  // OK when the caller holds admin on `table` (or access is open).
  grpc::Status Allowed(grpc::ServerContext* context,
                       absl::string_view table = access::kEveryTable) const;
  // Records a finished call in the metrics and returns its status.
  grpc::Status Recorded(const char* method,
                        std::chrono::steady_clock::time_point start,
                        grpc::Status status);

  storage::Database* db_;
  std::string backup_dir_;
  const access::Access* access_;
  server::Metrics* metrics_;
  absl::Mutex one_at_a_time_;
  absl::Mutex one_snapshot_at_a_time_;
  RaftNode* replica_ = nullptr;
  std::string replication_token_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_ADMIN_SERVICE_H_
