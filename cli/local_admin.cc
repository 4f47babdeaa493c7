// LocalBackend's administrative calls, answered with the Admin service's
// messages (proto/lmdbapi/admin.proto) as a server answers them.
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "cli/local_backend.h"

namespace lmdbapi::cli {
namespace {

constexpr absl::Duration kBuildPoll = absl::Milliseconds(100);

std::string IndexNameOf(const storage::IndexBuildProgress& build) {
  return absl::StrCat(build.table, ".", build.index);
}

// The tables' records and pages, with their indexes' entries, pages and
// build state.
void AddTableStats(const std::vector<storage::DatabaseStats>& stats,
                   const std::vector<storage::IndexBuildProgress>& builds,
                   admin::v1::StatResponse& response) {
  std::map<std::string, admin::v1::TableStat*> tables;
  std::map<std::string, const storage::IndexBuildProgress*> by_index;
  for (const auto& build : builds) by_index[IndexNameOf(build)] = &build;
  for (const storage::DatabaseStats& s : stats) {
    admin::v1::TableStat*& table = tables[s.table];
    if (table == nullptr) {
      table = response.add_tables();
      table->set_table(s.table);
    }
    if (s.database == s.table) {
      table->set_records(s.entries);
      table->set_pages(s.pages);
      continue;
    }
    admin::v1::IndexStat* index = table->add_indexes();
    std::string prefix = absl::StrCat(s.table, ".idx.");
    index->set_name(s.database.substr(
        s.database.rfind(prefix, 0) == 0 ? prefix.size() : 0));
    index->set_entries(s.entries);
    index->set_pages(s.pages);
    auto build = by_index.find(absl::StrCat(s.table, ".", index->name()));
    index->set_state(build == by_index.end()
                         ? "ready"
                         : storage::IndexStateName(build->second->state));
    if (build == by_index.end()) continue;
    index->set_built(build->second->built);
    index->set_total(build->second->total);
    index->set_error(build->second->error);
  }
}

}  // namespace

absl::StatusOr<admin::v1::StatResponse> LocalBackend::Stat() {
  admin::v1::StatResponse response;
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<storage::DatabaseStats> stats,
                           db_->Stats());
  AddTableStats(stats, db_->IndexBuilds(), response);
  storage::MapInfo map = db_->env().Info();
  response.set_map_bytes(map.map_size_bytes);
  response.set_map_used_bytes(map.used_bytes);
  response.set_max_map_bytes(map.max_map_size_bytes);
  response.set_readers(map.readers_in_use);
  response.set_max_readers(map.max_readers);
  response.set_page_bytes(map.page_size_bytes);
  LMDBAPI_ASSIGN_OR_RETURN(storage::Environment::ReadTxn txn,
                           db_->env().BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t revision, db_->changes().Last(txn.get()));
  response.set_revision(revision);
  return response;
}

absl::StatusOr<admin::v1::VerifyResponse> LocalBackend::Verify(
    Progress* progress) {
  admin::v1::VerifyResponse response;
  uint64_t total = 0;
  for (const auto& table : db_->tables()) {
    LMDBAPI_ASSIGN_OR_RETURN(uint64_t count, table->Count());
    total += count;
  }
  if (progress != nullptr) progress->set_total(total);
  for (const storage::IndexBuildProgress& build : db_->IndexBuilds()) {
    if (build.state == storage::IndexState::kBuilding) {
      response.add_building(IndexNameOf(build));
    }
  }
  for (const auto& table : db_->tables()) {
    LMDBAPI_ASSIGN_OR_RETURN(storage::IndexReport report,
                             table->VerifyIndexes());
    response.set_records(response.records() + report.records);
    response.set_entries(response.entries() + report.entries);
    for (const storage::IndexMismatch& m : report.mismatches) {
      response.add_mismatches(
          absl::StrCat(table->name(), ": ", m.DebugString()));
    }
    if (progress != nullptr) progress->Add(report.records);
  }
  response.set_ok(response.mismatches().empty());
  return response;
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
  while (true) {
    uint64_t built = 0, total = 0;
    bool building = false;
    for (const storage::IndexBuildProgress& build : db_->IndexBuilds()) {
      if (std::find(started.begin(), started.end(), IndexNameOf(build)) ==
          started.end()) {
        continue;
      }
      if (build.state == storage::IndexState::kFailed) {
        return absl::FailedPreconditionError(absl::StrCat(
            "index ", IndexNameOf(build), " failed to build: ", build.error));
      }
      building = building || build.state == storage::IndexState::kBuilding;
      built += build.state == storage::IndexState::kReady ? build.total
                                                          : build.built;
      total += build.total;
    }
    if (progress != nullptr) {
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
