// The background builder of online index builds: meta records, chunks,
// the thread, Rebuild and Wait.
#include "storage/index_builder.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "storage/coding.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

std::string BuildKey(absl::string_view table, absl::string_view index) {
  return absl::StrCat("index_build/", table, "/", index);
}

// A build record of meta (see index_builder.h).
struct BuildRecord {
  bool failed = false;
  uint64_t built = 0;
  uint64_t total = 0;
  std::optional<std::string> cursor;  // none: before the first record
  std::string error;
};

std::string Encode(const BuildRecord& r) {
  if (r.failed) return absl::StrCat("f", r.error);
  std::string out = "b";
  PutFixed64(r.built, &out);
  PutFixed64(r.total, &out);
  out.push_back(r.cursor.has_value() ? 1 : 0);
  if (r.cursor) out.append(*r.cursor);
  return out;
}

absl::StatusOr<BuildRecord> Decode(absl::string_view key,
                                   absl::string_view bytes) {
  BuildRecord r;
  Decoder in(bytes);
  const uint8_t kind = in.Byte();
  if (kind == 'f') {
    r.failed = true;
    r.error = std::string(in.rest());
    return r;
  }
  r.built = in.Fixed64();
  r.total = in.Fixed64();
  const bool has_cursor = in.Byte() != 0;
  if (kind != 'b' || !in.ok()) {
    return absl::DataLossError(
        absl::StrCat("meta key '", key, "' is not a build record"));
  }
  if (has_cursor) r.cursor = std::string(in.rest());
  return r;
}

// Positions `cursor` at the first record after `after` (none: the first).
absl::StatusOr<bool> SeekAfter(Cursor& cursor,
                               const std::optional<std::string>& after) {
  if (!after) return cursor.First();
  LMDBAPI_ASSIGN_OR_RETURN(bool more, cursor.Seek(*after));
  if (more && cursor.key() == *after) return cursor.Next();
  return more;
}

// Puts `entry`; for a unique index (whose entry's value is its record's
// key) an entry already there for the same record (a write put it) is
// fine, another record's is the returned error text.
absl::StatusOr<std::string> PutBuiltEntry(MDB_txn* txn, MDB_dbi dbi,
                                          const IndexSchema& index,
                                          const IndexEntry& entry) {
  absl::Status put = PutValue(txn, dbi, entry.key, entry.value,
                              index.unique ? MDB_NOOVERWRITE : 0);
  if (!absl::IsAlreadyExists(put)) {
    LMDBAPI_RETURN_IF_ERROR(put);
    return std::string();
  }
  LMDBAPI_ASSIGN_OR_RETURN(absl::string_view other,
                           GetValue(txn, dbi, entry.key));
  if (other == entry.value) return std::string();
  return absl::StrCat("unique index '", index.name, "': records '", other,
                      "' and '", entry.value, "' have the same values");
}

}  // namespace

IndexBuilder::IndexBuilder(MDB_dbi meta, std::vector<Table*> tables,
                           double share)
    : meta_(meta), share_(std::clamp(share, 0.01, 1.0)) {
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
  thread_ = std::thread([this] { Run(); });
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
  for (Slot* slot = Next(); slot != nullptr; slot = Next()) {
    ChunkResult result;
    const absl::Time began = absl::Now();
    absl::Status status = writer_->SubmitAndWait([&](MDB_txn* txn) {
      result = ChunkResult();
      {
        absl::MutexLock lock(&mu_);
        result.generation = slot->generation;
      }
      return ChunkInTxn(txn, *slot, &result);
    });
    Record(slot, result, status);
    // The writer stopped, or a chunk failed: retry later (or next open).
    absl::Duration rest =
        status.ok() ? RestAfter(absl::Now() - began) : absl::Seconds(1);
    if (rest > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), rest);
    }
  }
}

absl::Status IndexBuilder::ChunkInTxn(MDB_txn* txn, const Slot& slot,
                                      ChunkResult* result) const {
  const Table& table = *slot.table;
  const Table::Index& index = table.indexes_[slot.index];
  const std::string key = BuildKey(table.name(), index.schema->name);
  absl::StatusOr<absl::string_view> bytes = GetValue(txn, meta_, key);
  if (!bytes.ok() && !absl::IsNotFound(bytes.status())) return bytes.status();
  BuildRecord record;
  if (bytes.ok()) {
    LMDBAPI_ASSIGN_OR_RETURN(record, Decode(key, *bytes));
  }
  if (!bytes.ok() || record.failed) {  // ready, dropped or failed meanwhile
    result->stale = true;
    return absl::OkStatus();
  }
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, table.records_));
  std::unique_ptr<Message> scratch(table.prototype_->New());
  std::vector<IndexEntry> entries;
  size_t records = 0, read = 0;
  absl::StatusOr<bool> more = SeekAfter(cursor, record.cursor);
  for (; more.ok() && *more && records < kChunkRecords && read < kChunkBytes;
       more = cursor.Next()) {
    const absl::string_view pk = cursor.key(), value = cursor.value();
    LMDBAPI_RETURN_IF_ERROR(table.ParseRecord(pk, value, scratch.get()));
    LMDBAPI_RETURN_IF_ERROR(
        AppendIndexEntries(*scratch, *index.schema, pk, &entries));
    record.cursor = std::string(pk);
    ++records;
    read += value.size();
  }
  LMDBAPI_RETURN_IF_ERROR(more.status());
  // In key order: the chunk's puts land on neighbouring pages.
  std::sort(
      entries.begin(), entries.end(),
      [](const IndexEntry& a, const IndexEntry& b) { return a.key < b.key; });
  for (const IndexEntry& entry : entries) {
    LMDBAPI_ASSIGN_OR_RETURN(
        result->error, PutBuiltEntry(txn, index.dbi, *index.schema, entry));
    if (!result->error.empty()) break;
  }
  if (!result->error.empty()) return FailInTxn(txn, slot, result->error);
  record.built += records;
  result->built = record.built;
  result->total = record.total;
  result->done = !*more;
  if (result->done) return DeleteKey(txn, meta_, key);
  return PutValue(txn, meta_, key, Encode(record));
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

void IndexBuilder::Record(Slot* slot, const ChunkResult& result,
                          const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  in_chunk_ = nullptr;  // what the chunk did is recorded below
  if (!status.ok()) {
    slot->error = status.ToString();
    return;
  }
  if (result.stale || result.generation != slot->generation) return;
  slot->built = result.built;
  slot->total = result.total;
  slot->error = result.error;
  if (result.done) {
    slot->table->index_states_[slot->index].store(IndexState::kReady);
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
