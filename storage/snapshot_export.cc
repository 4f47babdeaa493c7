#include "storage/snapshot_export.h"

#include <utility>

#include "base/status_macros.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {

using google::protobuf::Message;

SnapshotExport::SnapshotExport(const Table& table, Environment::ReadTxn txn,
                               Cursor cursor, Plan plan, uint64_t revision)
    : table_(table),
      txn_(std::move(txn)),
      cursor_(std::move(cursor)),
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
  return std::unique_ptr<SnapshotExport>(new SnapshotExport(
      table, std::move(txn), std::move(cursor), std::move(plan), revision));
}

absl::Status SnapshotExport::Parse(Message* record) const {
  absl::string_view pk = cursor_.key();
  LMDBAPI_RETURN_IF_ERROR(table_.ParseRecord(pk, cursor_.value(), record));
  if (!table_.has_version_fields()) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(RecordVersion version,
                           ReadVersion(txn_.get(), table_.versions_, pk));
  SetVersionFields(table_.schema_, version, record);
  return absl::OkStatus();
}

absl::StatusOr<bool> SnapshotExport::Next(size_t max_records, size_t max_bytes,
                                          absl::FunctionRef<Message*()> add) {
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
    if (scratch_ == nullptr) {
      LMDBAPI_RETURN_IF_ERROR(Parse(add()));
      ++records;
      continue;
    }
    LMDBAPI_RETURN_IF_ERROR(Parse(scratch_.get()));
    if (!plan_.where.Matches(*scratch_)) continue;
    Message* out = add();
    out->GetReflection()->Swap(scratch_.get(), out);
    ++records;
  }
  return !done_;
}

}  // namespace lmdbapi::storage
