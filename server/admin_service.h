// lmdbapi.admin.v1.Admin (proto/lmdbapi/admin.proto): online backups of the
// server's database into --backup_dir. A synchronous service: a backup takes
// as long as copying the data, on a thread of gRPC's pool, never on the
// callback threads that serve the tables.
#ifndef LMDBAPI_SERVER_ADMIN_SERVICE_H_
#define LMDBAPI_SERVER_ADMIN_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "proto/lmdbapi/admin.grpc.pb.h"
#include "server/auth.h"
#include "storage/environment.h"

namespace lmdbapi::server {

// The directory a backup named `name` goes to under `backup_dir`;
// INVALID_ARGUMENT naming the field when `name` is not a plain directory
// name. An empty name becomes "backup-<UTC time with milliseconds>".
absl::StatusOr<std::string> BackupPath(const std::string& backup_dir,
                                       const std::string& name);

class AdminService final : public admin::v1::Admin::Service {
 public:
  AdminService(storage::Environment* env, std::string backup_dir,
               const BearerAuth* auth)
      : env_(env), backup_dir_(std::move(backup_dir)), auth_(auth) {}

  grpc::Status Backup(grpc::ServerContext* context,
                      const admin::v1::BackupRequest* request,
                      admin::v1::BackupResponse* response) override;

 private:
  storage::Environment* env_;
  std::string backup_dir_;
  const BearerAuth* auth_;
  absl::Mutex one_at_a_time_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ADMIN_SERVICE_H_
