#include "server/table/admin_service.h"

#include <chrono>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/observability/log.h"
#include "server/table/admin_report.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {

absl::StatusOr<std::string> BackupPath(const std::string& backup_dir,
                                       const std::string& name) {
  std::string dir = name;
  if (dir.empty()) {
    dir = absl::StrCat(
        "backup-",
        absl::FormatTime("%Y%m%dT%H%M%E3SZ", absl::Now(), absl::UTCTimeZone()));
  }
  bool plain = dir.size() <= 128 && dir[0] != '.';
  for (char c : dir) {
    plain =
        plain && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (!plain) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: '", name,
        "' is not a backup name; expects 1 to 128 of [A-Za-z0-9._-], not "
        "starting with '.' (a directory under the server's --backup_dir)"));
  }
  return (std::filesystem::path(backup_dir) / dir).string();
}

grpc::Status AdminService::Recorded(const char* method,
                                    std::chrono::steady_clock::time_point start,
                                    grpc::Status status) {
  if (metrics_ != nullptr) {
    metrics_->Record("Admin", method,
                     static_cast<absl::StatusCode>(status.error_code()),
                     std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count());
  }
  return status;
}

grpc::Status AdminService::Backup(grpc::ServerContext* context,
                                  const admin::v1::BackupRequest* request,
                                  admin::v1::BackupResponse* response) {
  auto start = std::chrono::steady_clock::now();
  return Recorded("Backup", start, DoBackup(context, request, response));
}

grpc::Status AdminService::Metrics(grpc::ServerContext* /*context*/,
                                   const admin::v1::MetricsRequest* /*request*/,
                                   admin::v1::MetricsResponse* response) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StorageFigures> figures = CollectStorageFigures(*db_);
  if (!figures.ok()) {
    // The call counts are still worth having.
    Log(LogLevel::kWarning, "metrics: %s", figures.status().ToString());
  }
  const StorageFigures* storage = figures.ok() ? &*figures : nullptr;
  response->set_text(metrics_ != nullptr ? metrics_->Render(storage)
                                         : server::Metrics().Render(storage));
  return Recorded("Metrics", start, grpc::Status::OK);
}

grpc::Status AdminService::Allowed(grpc::ServerContext* context,
                                   absl::string_view table) const {
  if (access_ == nullptr) return grpc::Status::OK;
  return ToGrpcStatus(
      access_->Allow(*context, table, access::Permission::kAdmin));
}

grpc::Status AdminService::Stat(grpc::ServerContext* context,
                                const admin::v1::StatRequest* /*request*/,
                                admin::v1::StatResponse* response) {
  auto start = std::chrono::steady_clock::now();
  grpc::Status allowed = Allowed(context);
  if (!allowed.ok()) return Recorded("Stat", start, allowed);
  absl::StatusOr<storage::DatabaseStat> stat = db_->Stat();
  if (!stat.ok()) return Recorded("Stat", start, ToGrpcStatus(stat.status()));
  *response = StatResponseOf(*stat);
  return Recorded("Stat", start, grpc::Status::OK);
}

grpc::Status AdminService::Verify(grpc::ServerContext* context,
                                  const admin::v1::VerifyRequest* /*request*/,
                                  admin::v1::VerifyResponse* response) {
  auto start = std::chrono::steady_clock::now();
  grpc::Status allowed = Allowed(context);
  if (!allowed.ok()) return Recorded("Verify", start, allowed);
  // A synchronous handler: the walk runs on a thread of gRPC's pool, in one
  // read snapshot that writes go on beside.
  absl::StatusOr<storage::VerifyReport> report = db_->Verify();
  if (!report.ok()) {
    return Recorded("Verify", start, ToGrpcStatus(report.status()));
  }
  *response = VerifyResponseOf(*report);
  Log(report->ok() ? LogLevel::kInfo : LogLevel::kError,
      "verify: %d records, %d index entries, %d mismatches, %d indexes "
      "building",
      report->records, report->entries, report->mismatches.size(),
      report->building.size());
  return Recorded("Verify", start, grpc::Status::OK);
}

grpc::Status AdminService::DoBackup(grpc::ServerContext* context,
                                    const admin::v1::BackupRequest* request,
                                    admin::v1::BackupResponse* response) {
  grpc::Status allowed = Allowed(context);
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::string> path = BackupPath(backup_dir_, request->name());
  if (!path.ok()) return ToGrpcStatus(path.status());
  absl::MutexLock lock(&one_at_a_time_);
  if (std::filesystem::exists(*path)) {
    return ToGrpcStatus(absl::AlreadyExistsError(
        absl::StrCat("name: a backup named '", request->name(),
                     "' already exists at ", *path)));
  }
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<storage::CopyReport> copy = db_->env().Copy(*path);
  if (!copy.ok()) {
    Log(LogLevel::kError, "backup to %s failed: %s", *path,
        copy.status().ToString());
    std::error_code ignored;  // the copy removed its partial file
    std::filesystem::remove(*path, ignored);
    return ToGrpcStatus(copy.status());
  }
  response->set_path(copy->path);
  response->set_bytes(copy->bytes);
  response->mutable_records()->insert(copy->records.begin(),
                                      copy->records.end());
  response->set_micros(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count());
  Log(LogLevel::kInfo, "backup: %s, %d bytes, %d µs", copy->path, copy->bytes,
      response->micros());
  return grpc::Status::OK;
}

grpc::Status AdminService::Rebuild(grpc::ServerContext* context,
                                   const admin::v1::RebuildRequest* request,
                                   admin::v1::RebuildResponse* response) {
  auto start = std::chrono::steady_clock::now();
  grpc::Status allowed = Allowed(
      context, request->table().empty() ? access::kEveryTable
                                        : absl::string_view(request->table()));
  if (!allowed.ok()) return Recorded("Rebuild", start, allowed);
  for (const auto& [field, name] : {std::pair{"table", &request->table()},
                                    std::pair{"index", &request->index()}}) {
    bool plain = name->size() <= 128;
    for (char c : *name) plain = plain && (absl::ascii_isalnum(c) || c == '_');
    if (!plain) {
      return Recorded("Rebuild", start,
                      ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
                          field, ": '", *name, "' is not a ", field,
                          " name (letters, digits and '_')"))));
    }
  }
  absl::StatusOr<std::vector<std::string>> started =
      db_->Rebuild(request->table(), request->index());
  if (!started.ok()) {
    const char* field = absl::StrContains(started.status().message(), "index '")
                            ? "index"
                            : "table";
    return Recorded(
        "Rebuild", start,
        ToGrpcStatus(absl::Status(
            started.status().code(),
            absl::StrCat(field, ": ", started.status().message()))));
  }
  for (const std::string& index : *started) {
    response->add_started(index);
    Log(LogLevel::kInfo, "index %s: rebuild started", index);
  }
  return Recorded("Rebuild", start, grpc::Status::OK);
}

}  // namespace lmdbapi::server
