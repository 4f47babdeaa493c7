// The background builder of online index builds: meta records, the
// thread, Rebuild and Wait (its chunks: storage/index_builder_chunk.cc).
#include "storage/index_builder.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/index_build_record.h"
#include "storage/index_builder_chunk.h"
#include "storage/lent_transaction.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {

IndexBuilder::IndexBuilder(MDB_dbi meta, std::vector<Table*> tables,
                           double share, size_t chunk_records, int nice)
    : meta_(meta),
      share_(std::clamp(share, 0.01, 1.0)),
      chunk_records_(chunk_records == 0 ? kChunkRecords : chunk_records),
      nice_(nice) {
  absl::MutexLock lock(&mu_);
  for (Table* table : tables) {
    for (size_t i = 0; i < table->indexes_.size(); ++i) {
      slots_.push_back(Slot{table, i});
    }
  }
}

IndexBuilder::~IndexBuilder() { Stop(); }

absl::StatusOr<uint64_t> IndexBuilder::MarkBuildingInTxn(MDB_txn* txn,
                                                         MDB_dbi meta,
                                                         const Table& table,
                                                         size_t i) {
  const Table::Index& index = table.indexes_[i];
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(txn, index.dbi, 0),
                              absl::StrCat("clear index ", index.schema->name));
  MDB_stat stat;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_stat(txn, table.records_, &stat),
                              absl::StrCat("stat ", table.name()));
  const std::string key = BuildKey(table.name(), index.schema->name);
  if (stat.ms_entries == 0) {  // nothing to build: ready at once
    table.index_states_[i].store(IndexState::kReady);
    absl::Status status = DeleteKey(txn, meta, key);
    if (!status.ok() && !absl::IsNotFound(status)) return status;
    return 0;
  }
  BuildRecord record;
  record.total = stat.ms_entries;
  table.index_states_[i].store(IndexState::kBuilding);
  LMDBAPI_RETURN_IF_ERROR(PutValue(txn, meta, key, Encode(record)));
  return record.total;
}

absl::Status IndexBuilder::ForgetInTxn(MDB_txn* txn, MDB_dbi meta,
                                       absl::string_view table,
                                       absl::string_view index) {
  absl::Status status = DeleteKey(txn, meta, BuildKey(table, index));
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

absl::Status IndexBuilder::Load(MDB_txn* txn) {
  absl::MutexLock lock(&mu_);
  for (Slot& slot : slots_) {
    const Table::Index& index = slot.table->indexes_[slot.index];
    std::string key = BuildKey(slot.table->name(), index.schema->name);
    absl::StatusOr<absl::string_view> bytes = GetValue(txn, meta_, key);
    if (absl::IsNotFound(bytes.status())) {
      slot.table->index_states_[slot.index].store(IndexState::kReady);
      continue;
    }
    LMDBAPI_RETURN_IF_ERROR(bytes.status());
    LMDBAPI_ASSIGN_OR_RETURN(BuildRecord record, Decode(key, *bytes));
    slot.built = record.built;
    slot.total = record.total;
    slot.error = record.error;
    slot.table->index_states_[slot.index].store(
        record.failed ? IndexState::kFailed : IndexState::kBuilding);
  }
  return absl::OkStatus();
}

void IndexBuilder::Start() {
  absl::MutexLock lock(&mu_);
  if (running_ || stopping_) return;
  running_ = true;
  thread_ = std::thread([this] {
    NameThisThread("index-builder");
    Run();
  });
}

void IndexBuilder::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

IndexBuilder::Slot* IndexBuilder::Next() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (stopping_) return true;
    for (const Slot& s : slots_) {
      if (s.table->index_state(s.index) == IndexState::kBuilding) return true;
    }
    return false;
  };
  mu_.Await(absl::Condition(&ready));
  if (stopping_) return nullptr;
  // Round robin: every building index advances, one chunk at a time.
  for (size_t k = 0; k < slots_.size(); ++k) {
    Slot& s = slots_[(next_ + k) % slots_.size()];
    if (s.table->index_state(s.index) != IndexState::kBuilding) continue;
    next_ = (next_ + k + 1) % slots_.size();
    in_chunk_ = &s;
    return &s;
  }
  return nullptr;
}

absl::Duration IndexBuilder::RestAfter(absl::Duration worked) const {
  return worked * ((1 - share_) / share_);
}

void IndexBuilder::Run() {
  // Linux lets any thread lower its own priority: it fails only for a
  // nice outside -20..19, which the server's flag refuses.
  LowerThisThreadsPriority(nice_).IgnoreError();
  for (Slot* slot = Next(); slot != nullptr; slot = Next()) {
    std::vector<ChunkResult> results;
    const absl::Time began = absl::Now();
    std::unique_ptr<ChunkAhead> ahead = ReadAhead(slot);
    if (before_write_) before_write_();
    absl::Status status = RunLent(*writer_, [&](MDB_txn* txn) {
      results.clear();
      return ChunkInTxn(txn, slot, ahead.get(), &results);
    });
    ahead.reset();
    Record(slot, results, status);
    // The writer stopped, or a chunk failed: retry later (or next open).
    absl::Duration rest =
        status.ok() ? RestAfter(absl::Now() - began) : absl::Seconds(1);
    if (rest > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), rest);
    }
  }
}

absl::Status IndexBuilder::FailInTxn(MDB_txn* txn, const Slot& slot,
                                     const std::string& error) const {
  // Never used, never maintained: its entries go, the error stays.
  const Table::Index& index = slot.table->indexes_[slot.index];
  slot.table->index_states_[slot.index].store(IndexState::kFailed);
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(txn, index.dbi, 0), "clear index");
  BuildRecord failed;
  failed.failed = true;
  failed.error = error;
  return PutValue(txn, meta_, BuildKey(slot.table->name(), index.schema->name),
                  Encode(failed));
}

void IndexBuilder::Record(Slot* lead, const std::vector<ChunkResult>& results,
                          const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  in_chunk_ = nullptr;  // what the chunk did is recorded below
  if (!status.ok()) {
    lead->error = status.ToString();
    return;
  }
  for (const ChunkResult& result : results) {
    Slot* slot = result.slot;
    if (result.stale || result.generation != slot->generation) continue;
    slot->built = result.built;
    slot->total = result.total;
    slot->error = result.error;
    if (result.done) {
      slot->table->index_states_[slot->index].store(IndexState::kReady);
    }
  }
}

std::vector<IndexBuildProgress> IndexBuilder::Progress() const {
  absl::MutexLock lock(&mu_);
  std::vector<IndexBuildProgress> out;
  for (const Slot& slot : slots_) {
    IndexBuildProgress p;
    p.table = slot.table->name();
    p.index = slot.table->indexes_[slot.index].schema->name;
    p.state = slot.table->index_state(slot.index);
    if (p.state != IndexState::kReady) {
      p.built = slot.built;
      p.total = slot.total;
      p.error = slot.error;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string IndexBuilder::NotReadyReason(const Table& table, size_t i) const {
  const IndexState state = table.index_state(i);
  absl::MutexLock lock(&mu_);
  for (const Slot& slot : slots_) {
    if (slot.table != &table || slot.index != i) continue;
    if (state == IndexState::kFailed) {
      return absl::StrCat("its build failed (", slot.error, ")");
    }
    const uint64_t percent =
        slot.total == 0 ? 0
                        : std::min<uint64_t>(99, slot.built * 100 / slot.total);
    return absl::StrCat("building ", percent, "%");
  }
  return IndexStateName(state);
}

absl::StatusOr<std::vector<IndexBuilder::Slot*>> IndexBuilder::Select(
    absl::string_view table, absl::string_view index) {
  absl::MutexLock lock(&mu_);
  std::vector<Slot*> selected;
  bool table_found = table.empty();
  for (Slot& slot : slots_) {
    if (!table.empty() && slot.table->name() != table) continue;
    table_found = true;
    const IndexSchema& schema = *slot.table->indexes_[slot.index].schema;
    if (!index.empty() && schema.name != index) continue;
    selected.push_back(&slot);
  }
  if (!table_found) {
    return absl::NotFoundError(absl::StrCat("table '", table, "' not found"));
  }
  if (!index.empty() && selected.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "index '", index, "' not found",
        table.empty() ? "" : absl::StrCat(" in table '", table, "'")));
  }
  return selected;
}

absl::Status IndexBuilder::RebuildOne(Slot* slot) {
  Table& table = *slot->table;
  if (table.indexes_[slot->index].schema->parent_link) {
    // Cascading deletes read it: rebuilt whole, in one transaction.
    Table::Index link = table.indexes_[slot->index];
    return writer_->SubmitAndWait(
        [&](MDB_txn* txn) { return table.RebuildInTxn(txn, {link}); });
  }
  return writer_->SubmitAndWait([&](MDB_txn* txn) {
    LMDBAPI_ASSIGN_OR_RETURN(uint64_t total,
                             MarkBuildingInTxn(txn, meta_, table, slot->index));
    absl::MutexLock lock(&mu_);
    ++slot->generation;
    slot->built = 0;
    slot->total = total;
    slot->error.clear();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> IndexBuilder::Rebuild(
    absl::string_view table, absl::string_view index) {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) {
      return absl::FailedPreconditionError(
          "indexes are not rebuilt in a database opened read-only");
    }
  }
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<Slot*> selected, Select(table, index));
  std::vector<std::string> started;
  for (Slot* slot : selected) {
    LMDBAPI_RETURN_IF_ERROR(RebuildOne(slot));
    started.push_back(
        absl::StrCat(slot->table->name(), ".",
                     slot->table->indexes_[slot->index].schema->name));
  }
  return started;
}

absl::Status IndexBuilder::Wait() {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (!running_ || stopping_) return true;
    if (in_chunk_ != nullptr) return false;
    for (const Slot& s : slots_) {
      if (s.table->index_state(s.index) == IndexState::kBuilding) return false;
    }
    return true;
  };
  mu_.Await(absl::Condition(&idle));
  for (const Slot& s : slots_) {
    if (s.table->index_state(s.index) == IndexState::kBuilding) {
      return absl::FailedPreconditionError(absl::StrCat(
          "index ", s.table->name(), ".",
          s.table->indexes_[s.index].schema->name,
          " is being built but no builder runs (read-only or closing)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
