// stat, verify, rebuild, backup and restore.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "cli/local_backend.h"
#include "cli/record_format.h"
#include "storage/backup.h"

namespace lmdbapi::cli {
namespace {

absl::Status PrintJson(const google::protobuf::Message& message) {
  LMDBAPI_ASSIGN_OR_RETURN(std::string json, ResultJson(message));
  printf("%s\n", json.c_str());
  return absl::OkStatus();
}

std::string Bytes(uint64_t n) {
  if (n >= (uint64_t{1} << 30))
    return absl::StrFormat("%.1f GiB", n / 1073741824.0);
  if (n >= (uint64_t{1} << 20))
    return absl::StrFormat("%.1f MiB", n / 1048576.0);
  if (n >= (uint64_t{1} << 10)) return absl::StrFormat("%.1f KiB", n / 1024.0);
  return absl::StrCat(n, " B");
}

void PrintStat(const admin::v1::StatResponse& stat) {
  for (const admin::v1::TableStat& table : stat.tables()) {
    printf("table %s: %llu records, %llu pages\n", table.table().c_str(),
           static_cast<unsigned long long>(table.records()),
           static_cast<unsigned long long>(table.pages()));
    for (const admin::v1::IndexStat& index : table.indexes()) {
      std::string state = index.state();
      if (state == "building") {
        absl::StrAppend(&state, " ", index.built(), "/", index.total());
      } else if (state == "failed") {
        absl::StrAppend(&state, ": ", index.error());
      }
      printf("  index %s: %llu entries, %llu pages, %s\n", index.name().c_str(),
             static_cast<unsigned long long>(index.entries()),
             static_cast<unsigned long long>(index.pages()), state.c_str());
    }
  }
  printf("map: %s, %s used, grows to %s; pages of %u bytes\n",
         Bytes(stat.map_bytes()).c_str(), Bytes(stat.map_used_bytes()).c_str(),
         Bytes(stat.max_map_bytes()).c_str(), stat.page_bytes());
  printf("readers: %u of %u\n", stat.readers(), stat.max_readers());
  printf("revision: %llu\n", static_cast<unsigned long long>(stat.revision()));
}

}  // namespace

absl::Status RunStat(const Invocation& invocation) {
  LMDBAPI_ASSIGN_OR_RETURN(admin::v1::StatResponse stat,
                           invocation.backend->Stat());
  if (invocation.BoolFlag("json")) return PrintJson(stat);
  PrintStat(stat);
  return absl::OkStatus();
}

absl::Status RunVerify(const Invocation& invocation) {
  std::unique_ptr<Progress> progress = invocation.NewProgress("verify");
  LMDBAPI_ASSIGN_OR_RETURN(admin::v1::VerifyResponse verify,
                           invocation.backend->Verify(progress.get()));
  if (progress != nullptr) progress->Finish();
  if (invocation.BoolFlag("json")) {
    LMDBAPI_RETURN_IF_ERROR(PrintJson(verify));
  } else {
    for (const std::string& m : verify.mismatches()) printf("%s\n", m.c_str());
    for (const std::string& b : verify.building()) {
      printf("not checked (being built): %s\n", b.c_str());
    }
    printf("%s: %llu records, %llu index entries, %d mismatches\n",
           verify.ok() ? "consistent" : "INCONSISTENT",
           static_cast<unsigned long long>(verify.records()),
           static_cast<unsigned long long>(verify.entries()),
           verify.mismatches_size());
  }
  if (!verify.ok()) {
    return absl::DataLossError(
        absl::StrCat(verify.mismatches_size(), " index mismatches"));
  }
  return absl::OkStatus();
}

absl::Status RunRebuild(const Invocation& invocation) {
  if (invocation.Has("index") && !invocation.Has("table")) {
    return UsageError("--index needs --table");
  }
  std::unique_ptr<Progress> progress = invocation.NewProgress(
      absl::StrCat("rebuild ", invocation.Flag("table", "all")));
  LMDBAPI_ASSIGN_OR_RETURN(
      admin::v1::RebuildResponse rebuilt,
      invocation.backend->Rebuild(invocation.Flag("table"),
                                  invocation.Flag("index"), progress.get()));
  if (progress != nullptr) progress->Finish();
  for (const std::string& index : rebuilt.started()) {
    printf("rebuilt %s\n", index.c_str());
  }
  return absl::OkStatus();
}

absl::Status RunBackup(const Invocation& invocation) {
  std::unique_ptr<Progress> progress = invocation.NewProgress("backup");
  LMDBAPI_ASSIGN_OR_RETURN(
      admin::v1::BackupResponse backup,
      invocation.backend->Backup(invocation.args[0], progress.get()));
  if (progress != nullptr) progress->Finish();
  std::string records;
  for (const auto& [table, count] : backup.records()) {
    absl::StrAppend(&records, " ", table, "=", count);
  }
  printf("backup %s: %s, records:%s\n", backup.path().c_str(),
         Bytes(backup.bytes()).c_str(), records.c_str());
  return absl::OkStatus();
}

// As the server's --restore_from: copies the backup into a new data
// directory (which walks and checks every page), then verifies it.
absl::Status RunRestore(const Invocation& invocation) {
  const std::string& from = invocation.args[0];
  const std::string& to = invocation.args[1];
  std::unique_ptr<Progress> progress = invocation.NewProgress("restore");
  LMDBAPI_ASSIGN_OR_RETURN(storage::CopyReport copy,
                           storage::CopyDirectory(from, to));
  uint64_t records = 0;
  for (const auto& [table, count] : copy.records) records += count;
  if (progress != nullptr) progress->Set(records);
  LMDBAPI_ASSIGN_OR_RETURN(std::unique_ptr<LocalBackend> restored,
                           LocalBackend::Open(to, /*writable=*/false));
  LMDBAPI_ASSIGN_OR_RETURN(admin::v1::VerifyResponse verify,
                           restored->Verify(nullptr));
  if (progress != nullptr) progress->Finish();
  if (!verify.ok()) {
    return absl::DataLossError(absl::StrCat(
        "restored into ", to, " but verify found ", verify.mismatches_size(),
        " index mismatches; run lmdbapi verify ", to));
  }
  printf("restored %s into %s: %s, %llu records, verified\n", from.c_str(),
         copy.path.c_str(), Bytes(copy.bytes).c_str(),
         static_cast<unsigned long long>(records));
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
