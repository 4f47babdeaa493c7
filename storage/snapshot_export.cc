#include "storage/snapshot_export.h"

#include <utility>

#include "base/status_macros.h"
#include "storage/record_version.h"
#include "storage/stored_record.h"

namespace lmdbapi::storage {

using google::protobuf::Message;

SnapshotExport::SnapshotExport(const Table& table, Environment::ReadTxn txn,
                               Cursor cursor, Cursor versions, Plan plan,
                               uint64_t revision)
    : table_(table),
      txn_(std::move(txn)),
      cursor_(std::move(cursor)),
      versions_(std::move(versions)),
      plan_(std::move(plan)),
      revision_(revision) {
  if (plan_.where.kind != Expr::Kind::kTrue) {
    scratch_.reset(table_.prototype_->New());
  }
}

absl::StatusOr<std::unique_ptr<SnapshotExport>> SnapshotExport::Open(
    const Table& table, const Query& query) {
  Query condition;
  condition.predicates = query.predicates;
  condition.filter = query.filter;
  LMDBAPI_ASSIGN_OR_RETURN(Plan plan, PlanQuery(table.schema(), condition));
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn,
                           table.env_->BeginSnapshot());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t revision,
                           CurrentRevision(txn.get(), table.meta_));
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor,
                           Cursor::Open(txn.get(), table.records_));
  LMDBAPI_ASSIGN_OR_RETURN(Cursor versions,
                           Cursor::Open(txn.get(), table.versions_));
  return std::unique_ptr<SnapshotExport>(
      new SnapshotExport(table, std::move(txn), std::move(cursor),
                         std::move(versions), std::move(plan), revision));
}

absl::StatusOr<bool> SnapshotExport::Matches(absl::string_view bytes) {
  if (scratch_ == nullptr) return true;
  scratch_->Clear();
  LMDBAPI_RETURN_IF_ERROR(
      table_.ParseRecord(cursor_.key(), bytes, scratch_.get()));
  return plan_.where.Matches(*scratch_);
}

absl::StatusOr<RecordVersion> SnapshotExport::Version(
    const StoredRecord& stored) {
  if (stored.version.has_value()) return *stored.version;
  absl::string_view pk = cursor_.key();
  if (!versions_started_) {
    LMDBAPI_ASSIGN_OR_RETURN(bool found, versions_.Seek(pk));
    versions_started_ = true;
    versions_done_ = !found;
  }
  while (!versions_done_ && versions_.key() < pk) {
    LMDBAPI_ASSIGN_OR_RETURN(bool more, versions_.Next());
    versions_done_ = !more;
  }
  if (versions_done_ || versions_.key() != pk) return RecordVersion();
  return DecodeVersion(versions_.value());
}

absl::StatusOr<bool> SnapshotExport::Next(
    size_t max_records, size_t max_bytes,
    absl::FunctionRef<void(absl::string_view)> add) {
  size_t records = 0, bytes = 0;
  while (!done_ && records < max_records && bytes < max_bytes) {
    absl::StatusOr<bool> more = started_ ? cursor_.Next() : cursor_.First();
    started_ = true;
    LMDBAPI_RETURN_IF_ERROR(more.status());
    if (!*more) {
      done_ = true;
      break;
    }
    bytes += cursor_.value().size();
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, SplitStored(cursor_.value()));
    LMDBAPI_ASSIGN_OR_RETURN(bool matches, Matches(stored.bytes));
    if (!matches) continue;
    record_.assign(stored.bytes.data(), stored.bytes.size());
    if (table_.has_version_fields()) {
      LMDBAPI_ASSIGN_OR_RETURN(RecordVersion version, Version(stored));
      AppendVersionFields(table_.schema_, version, &record_);
    }
    add(record_);
    ++records;
  }
  return !done_;
}

}  // namespace lmdbapi::storage
