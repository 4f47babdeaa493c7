#include "storage/importer.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "storage/importer_batch.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {

Importer::Importer(Table* table, ImportOptions options)
    : table_(table), options_(options) {}

absl::Status Importer::KeyExists(absl::string_view pk) const {
  return absl::AlreadyExistsError(
      absl::StrCat("field '", table_->schema_.primary_key.field->name(),
                   "': ", table_->name(), " '", pk,
                   "' already exists (replace_existing replaces it)"));
}

absl::Status Importer::UniqueClash(const Table::Index& index,
                                   absl::string_view holder) const {
  std::vector<std::string> fields;
  for (const FieldRef& f : index.schema->fields) fields.push_back(f.Name());
  return absl::AlreadyExistsError(absl::StrCat(
      "field '", absl::StrJoin(fields, "', '"), "': ", table_->name(), " '",
      holder, "' already has these values in unique index '",
      index.schema->name, "'"));
}

absl::Status Importer::CheckUnique(MDB_txn* txn,
                                   const Table::Prepared& prepared) const {
  for (size_t i = 0; i < table_->indexes_.size(); ++i) {
    const Table::Index& index = table_->indexes_[i];
    if (!index.schema->unique) continue;
    for (const IndexEntry& entry : prepared.entries.of(i)) {
      absl::StatusOr<absl::string_view> found =
          GetValue(txn, index.dbi, entry.key);
      if (absl::IsNotFound(found.status())) continue;
      LMDBAPI_RETURN_IF_ERROR(found);
      absl::StatusOr<absl::string_view> holder =
          PrimaryKeyOfEntry(*index.schema, entry.key, *found);
      if (holder.ok() && *holder == prepared.pk) continue;  // replaced
      return UniqueClash(index, holder.ok() ? *holder : "?");
    }
  }
  return absl::OkStatus();
}

absl::Status Importer::Check(MDB_txn* txn, const Table::Prepared& prepared,
                             bool* exists) const {
  absl::StatusOr<absl::string_view> stored =
      GetValue(txn, table_->records_, prepared.pk);
  *exists = stored.ok();
  if (!stored.ok() && !absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  if (*exists && !options_.replace_existing) return KeyExists(prepared.pk);
  LMDBAPI_RETURN_IF_ERROR(table_->CheckParentInTxn(txn, prepared));
  return CheckUnique(txn, prepared);
}

absl::Status Importer::Apply(MDB_txn* txn, uint64_t sequence,
                             Batch& batch) const {
  ImportBatchResult& result = *batch.result;
  result.stored = 0;
  result.revision = 0;
  result.rejected.resize(batch.rejected_before);  // a rerun starts afresh
  result.stopped = batch.stops;
  if (stopped_at_ < sequence) {  // an earlier batch ended the import
    result.rejected.clear();
    result.stopped = false;
    return absl::OkStatus();
  }
  bool in_order = false;
  absl::Status status = ApplySorted(txn, batch, &in_order);
  if (in_order) status = ApplyInOrder(txn, batch);
  LMDBAPI_RETURN_IF_ERROR(status);
  if (result.stopped) stopped_at_ = std::min(stopped_at_, sequence);
  return absl::OkStatus();
}

bool Importer::Refuse(Batch& batch, size_t i,
                      const absl::Status& status) const {
  ImportBatchResult& result = *batch.result;
  absl::Status refusal = AtRecord(batch.positions[i], status);
  if (options_.skip_bad) {
    result.rejected.emplace_back(batch.positions[i], refusal);
    return true;
  }
  result.rejected = {{batch.positions[i], refusal}};
  result.stopped = true;
  return false;
}

absl::Status Importer::ApplyInOrder(MDB_txn* txn, Batch& batch) const {
  ImportBatchResult& result = *batch.result;
  for (size_t i = 0; i < batch.prepared.size(); ++i) {
    const Table::Prepared& prepared = batch.prepared[i];
    bool exists = false;
    absl::Status status = Check(txn, prepared, &exists);
    if (IsRecordRefusal(status)) {
      if (Refuse(batch, i, status)) continue;
      break;
    }
    LMDBAPI_RETURN_IF_ERROR(status);
    RecordVersion version;
    status = exists ? table_->UpdateInTxn(txn, prepared, 0, &version)
                    : table_->InsertInTxn(txn, prepared, &version);
    if (IsMapFull(status)) return status;  // the writer grows the map
    if (!status.ok()) return AtRecord(batch.positions[i], status);
    ++result.stored;
    result.revision = version.revision;
  }
  return absl::OkStatus();
}

bool Importer::Submit(std::vector<ImportRecord> records,
                      ImportBatchResult* result, Writer::Done done) {
  *result = ImportBatchResult();
  auto batch = std::make_shared<Batch>(*table_, options_);
  batch->result = result;
  batch->prepared.reserve(records.size());
  batch->positions.reserve(records.size());
  for (const ImportRecord& record : records) {
    uint64_t position = record.position;
    absl::StatusOr<Table::Prepared> prepared =
        record.record != nullptr ? table_->PrepareInsert(record.record)
                                 : table_->PrepareCanonical(record.canonical);
    if (prepared.ok()) {
      batch->Take(*std::move(prepared), position);
      continue;
    }
    result->rejected.emplace_back(position,
                                  AtRecord(position, prepared.status()));
    if (!options_.skip_bad) {
      batch->stops = true;
      break;
    }
  }
  batch->rejected_before = result->rejected.size();
  Sort(*batch);
  uint64_t sequence = next_sequence_++;
  bool stops = batch->stops;
  result->prepared = batch;
  // Only a replicated shard needs the bytes; the op is the leader's apply.
  Writer::Operation apply = [this, sequence,
                             batch = batch.get()](MDB_txn* txn) {
    return Apply(txn, sequence, *batch);
  };
  Writer::Done applied = [this, sequence, batch = batch.get(),
                          done = std::move(done)](absl::Status status) {
    if (!status.ok()) stopped_at_ = std::min(stopped_at_, sequence);
    std::stable_sort(
        batch->result->rejected.begin(), batch->result->rejected.end(),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    done(status);
  };
  Writer* writer = table_->writer_;
  if (Replicated(*table_)) {
    writer->SubmitCommand(EncodeCommand(*batch), std::move(apply),
                          std::move(applied), options_.deadline);
  } else {
    writer->SubmitUnsynced(std::move(apply), std::move(applied),
                           options_.deadline);
  }
  return !stops;
}

void Importer::Sync(Writer::Done done) {
  table_->writer_->Sync(std::move(done));
}

absl::Status Importer::Sync() {
  return Writer::Wait([&](Writer::Done done) { Sync(std::move(done)); });
}

bool Importer::Replicated(const Table& table) {
  return table.writer_->replicated();
}

absl::Status Importer::Submit(std::vector<ImportRecord> records,
                              ImportBatchResult* result) {
  return Writer::Wait([&](Writer::Done done) {
    Submit(std::move(records), result, std::move(done));
  });
}

}  // namespace lmdbapi::storage
