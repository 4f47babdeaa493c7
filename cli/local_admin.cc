// LocalBackend's administrative calls, answered with the Admin service's
// messages (proto/lmdbapi/admin.proto) as a server answers them.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "cli/local_backend.h"
#include "server/table/admin_report.h"

namespace lmdbapi::cli {
namespace {

constexpr absl::Duration kBuildPoll = absl::Milliseconds(100);

std::string IndexNameOf(const storage::IndexBuildProgress& build) {
  return absl::StrCat(build.table, ".", build.index);
}

}  // namespace

absl::StatusOr<admin::v1::StatResponse> LocalBackend::Stat() {
  LMDBAPI_ASSIGN_OR_RETURN(storage::DatabaseStat stat, db_->Stat());
  return server::StatResponseOf(stat);
}

absl::StatusOr<admin::v1::VerifyResponse> LocalBackend::Verify(
    Progress* progress) {
  if (progress != nullptr) {
    uint64_t total = 0;
    for (const auto& table : db_->tables()) {
      LMDBAPI_ASSIGN_OR_RETURN(uint64_t count, table->Count());
      total += count;
    }
    progress->set_total(total);
  }
  LMDBAPI_ASSIGN_OR_RETURN(storage::VerifyReport report,
                           db_->Verify([progress](uint64_t records) {
                             if (progress != nullptr) progress->Set(records);
                           }));
  return server::VerifyResponseOf(report);
}

absl::StatusOr<admin::v1::RebuildResponse> LocalBackend::Rebuild(
    const std::string& table, const std::string& index, Progress* progress) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<std::string> started,
                           db_->Rebuild(table, index));
  admin::v1::RebuildResponse response;
  for (const std::string& name : started) response.add_started(name);
  LMDBAPI_RETURN_IF_ERROR(FollowBuilds(started, progress));
  return response;
}

absl::Status LocalBackend::FollowBuilds(const std::vector<std::string>& started,
                                        Progress* progress) {
  // A ready index reports no total: each index's is kept from while it built.
  std::map<std::string, uint64_t> totals;
  while (true) {
    uint64_t built = 0;
    bool building = false;
    for (const storage::IndexBuildProgress& build : db_->IndexBuilds()) {
      std::string name = IndexNameOf(build);
      if (std::find(started.begin(), started.end(), name) == started.end()) {
        continue;
      }
      if (build.state == storage::IndexState::kFailed) {
        return absl::FailedPreconditionError(
            absl::StrCat("index ", name, " failed to build: ", build.error));
      }
      uint64_t& total = totals[name];
      total = std::max(total, build.total);
      bool ready = build.state == storage::IndexState::kReady;
      building = building || !ready;
      built += ready ? total : build.built;
    }
    if (progress != nullptr) {
      uint64_t total = 0;
      for (const auto& [name, n] : totals) total += n;
      progress->set_total(total);
      progress->Set(built);
    }
    if (!building) break;
    absl::SleepFor(kBuildPoll);
  }
  return db_->WaitForIndexBuilds();
}

absl::StatusOr<admin::v1::BackupResponse> LocalBackend::Backup(
    const std::string& destination, Progress* progress) {
  absl::Time start = absl::Now();
  LMDBAPI_ASSIGN_OR_RETURN(storage::CopyReport copy,
                           db_->env().Copy(destination));
  admin::v1::BackupResponse response;
  response.set_path(copy.path);
  response.set_bytes(copy.bytes);
  uint64_t records = 0;
  for (const auto& [table, count] : copy.records) {
    (*response.mutable_records())[table] = count;
    records += count;
  }
  response.set_micros(absl::ToInt64Microseconds(absl::Now() - start));
  if (progress != nullptr) progress->Set(records);
  return response;
}

}  // namespace lmdbapi::cli
