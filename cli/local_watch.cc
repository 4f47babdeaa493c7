// LocalBackend::Watch: the changes of a data directory's change log
// (storage/change_log.h), read by polling. A read-only open of a directory
// nobody else has open locks writers out until it closes
// (storage/environment.h), so the watch holds the directory only while it
// reads: each poll opens it, reads what is new, and closes it.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "cli/local_backend.h"
#include "storage/filter_expr.h"
#include "storage/lmdb.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Message;

constexpr absl::Duration kWatchPoll = absl::Milliseconds(100);
constexpr size_t kWatchBatch = 1000;
constexpr char kChangesDb[] = "__changes";

const char* ChangeTypeName(storage::ChangeType type) {
  switch (type) {
    case storage::ChangeType::kInsert:
      return "INSERT";
    case storage::ChangeType::kUpdate:
      return "UPDATE";
    case storage::ChangeType::kDelete:
      return "DELETE";
  }
  return "UNKNOWN";
}

// The changes from revision `from` (0: none, only `last`), and the last
// revision written, from one short read-only open of `data_dir`.
absl::StatusOr<std::vector<storage::Change>> ReadChanges(
    const std::string& data_dir, uint64_t from, uint64_t* last) {
  storage::EnvOptions options;
  options.path = data_dir;
  options.read_only = true;
  options.create_directory = false;
  LMDBAPI_ASSIGN_OR_RETURN(std::unique_ptr<storage::Environment> env,
                           storage::Environment::Open(options));
  LMDBAPI_ASSIGN_OR_RETURN(storage::Environment::ReadTxn txn, env->BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi meta,
                           env->OpenDatabase(txn.get(), storage::kMetaDb));
  LMDBAPI_ASSIGN_OR_RETURN(MDB_dbi changes,
                           env->OpenDatabase(txn.get(), kChangesDb));
  storage::ChangeLog log(changes, meta, /*retention=*/0);
  LMDBAPI_ASSIGN_OR_RETURN(*last, log.Last(txn.get()));
  if (from == 0) return std::vector<storage::Change>();
  return log.Read(txn.get(), from, kWatchBatch);
}

}  // namespace

absl::Status LocalBackend::Watch(
    const TableInfo& table, const std::string& filter, uint64_t from_revision,
    uint64_t max_changes,
    absl::FunctionRef<absl::Status(const std::string&, const Message&)> sink) {
  LMDBAPI_ASSIGN_OR_RETURN(
      storage::Expr where,
      storage::ParseFilter(TableOf(table)->schema(), filter));
  db_.reset();
  uint64_t next = from_revision, last = 0;
  if (next == 0) {
    LMDBAPI_RETURN_IF_ERROR(ReadChanges(data_dir_, 0, &last).status());
    next = last + 1;
  }
  std::unique_ptr<Message> record = NewRecord(table);
  for (uint64_t seen = 0; max_changes == 0 || seen < max_changes;) {
    LMDBAPI_ASSIGN_OR_RETURN(std::vector<storage::Change> changes,
                             ReadChanges(data_dir_, next, &last));
    if (changes.empty()) absl::SleepFor(kWatchPoll);
    for (const storage::Change& change : changes) {
      next = change.revision + 1;
      if (change.table != table.name) continue;
      if (!record->ParseFromString(change.record)) {
        return absl::DataLossError(absl::StrCat("change at revision ",
                                                change.revision,
                                                ": its record does not parse"));
      }
      if (!where.Matches(*record)) continue;
      LMDBAPI_RETURN_IF_ERROR(sink(ChangeTypeName(change.type), *record));
      if (++seen == max_changes) break;
    }
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
