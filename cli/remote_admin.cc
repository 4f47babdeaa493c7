#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/remote_backend_impl.h"
#include "cli/remote_tables.h"

namespace lmdbapi::cli {

template <typename Request, typename Response, typename Call>
absl::StatusOr<Response> RemoteBackend::Admin(const char* name,
                                              const Request& request,
                                              Call call) {
  // Stat and Rebuild answer at once; Verify and Backup take their time.
  std::string method = name;
  auto context =
      connection_->NewContext(method == "Stat" || method == "Rebuild");
  Response response;
  grpc::Status status = call(admin_.get(), context.get(), request, &response);
  if (!status.ok()) return FromGrpc(status, absl::StrCat("Admin/", name));
  return response;
}

absl::StatusOr<admin::v1::StatResponse> RemoteBackend::Stat() {
  return Admin<admin::v1::StatRequest, admin::v1::StatResponse>(
      "Stat", admin::v1::StatRequest(),
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Stat(context, request, response);
      });
}

absl::StatusOr<admin::v1::VerifyResponse> RemoteBackend::Verify(
    Progress* progress) {
  auto verified = Admin<admin::v1::VerifyRequest, admin::v1::VerifyResponse>(
      "Verify", admin::v1::VerifyRequest(),
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Verify(context, request, response);
      });
  if (verified.ok() && progress != nullptr) {
    progress->Set(verified->records());
    progress->Finish();
  }
  return verified;
}

absl::StatusOr<admin::v1::RebuildResponse> RemoteBackend::Rebuild(
    const std::string& table, const std::string& index, Progress* progress) {
  admin::v1::RebuildRequest request;
  request.set_table(table);
  request.set_index(index);
  auto started = Admin<admin::v1::RebuildRequest, admin::v1::RebuildResponse>(
      "Rebuild", request,
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Rebuild(context, request, response);
      });
  if (!started.ok()) return started;
  absl::Status built = WaitForBuilds(*started, progress);
  if (!built.ok()) return built;
  return started;
}

// Polls Stat until every index of `started` is ready (or one failed),
// reporting the records indexed so far to `progress` (if any): a rebuild
// returns when done, as on a data directory.
absl::Status RemoteBackend::WaitForBuilds(
    const admin::v1::RebuildResponse& started, Progress* progress) {
  std::set<std::string> names(started.started().begin(),
                              started.started().end());
  while (true) {
    auto stat = Stat();
    if (!stat.ok()) return stat.status();
    uint64_t built = 0, total = 0;
    bool ready = true;
    for (const auto& t : stat->tables()) {
      for (const auto& i : t.indexes()) {
        if (names.count(absl::StrCat(t.table(), ".", i.name())) == 0) continue;
        if (i.state() == "failed") {
          return absl::InternalError(absl::StrCat(
              "index ", t.table(), ".", i.name(), " failed: ", i.error()));
        }
        bool done = i.state() == "ready";
        ready = ready && done;
        built += done ? t.records() : i.built();
        total += done ? t.records() : i.total();
      }
    }
    if (progress != nullptr) {
      progress->set_total(total);
      progress->Set(built);
    }
    if (ready) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (progress != nullptr) progress->Finish();
  return absl::OkStatus();
}

absl::StatusOr<admin::v1::BackupResponse> RemoteBackend::Backup(
    const std::string& destination, Progress* progress) {
  admin::v1::BackupRequest request;
  request.set_name(destination);
  auto backup = Admin<admin::v1::BackupRequest, admin::v1::BackupResponse>(
      "Backup", request,
      [](auto* stub, auto* context, const auto& request, auto* response) {
        return stub->Backup(context, request, response);
      });
  if (backup.ok() && progress != nullptr) {
    uint64_t records = 0;
    for (const auto& [table, n] : backup->records()) records += n;
    progress->Set(records);
    progress->Finish();
  }
  return backup;
}

}  // namespace lmdbapi::cli
