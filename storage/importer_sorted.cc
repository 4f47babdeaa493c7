// An import batch of new records, with the database's work in key order.
//
// Record by record, each record costs a dozen descents from a B-tree's root
// (its key looked up and put, each index entry, its version, its change),
// and the index entries land all over their trees. Here every lookup and
// every put of the batch goes through one cursor per database in key order,
// so that most cost one page search (LMDB's cursor skips the descent when
// the key falls in the page it is at). The sorting is done on the caller's
// thread (Sort), while the writer commits the batch before. The outcome is
// the record-by-record one: the refusals are decided in the stream's order
// against what the database held and what the records before took.
#include <numeric>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/status_macros.h"
#include "storage/append_tail.h"
#include "storage/change_log.h"
#include "storage/importer.h"
#include "storage/importer_batch.h"
#include "storage/key_order.h"
#include "storage/lmdb.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {
namespace {

// Whether two neighbours in `order` have the same key.
template <typename Items, typename KeyOf>
bool HasRepeats(const Items& order, KeyOf key_of) {
  for (size_t i = 1; i < order.size(); ++i) {
    if (key_of(order[i - 1]) == key_of(order[i])) return true;
  }
  return false;
}

// The entries of `stream` visited in `order` (visits[order[0]],
// visits[order[1]], ...) copied end to end into `bytes`, and `sorted`
// pointing at them: the copy reads one buffer, not a string per entry.
void CopySorted(const PackedEntries& stream,
                const std::vector<uint32_t>& visits,
                const std::vector<size_t>& records,
                const std::vector<size_t>& order, std::string* bytes,
                std::vector<ImportEntry>* sorted) {
  bytes->clear();
  // Every entry is visited: no reallocation, so the views stay valid.
  bytes->reserve(stream.byte_size());
  sorted->clear();
  sorted->reserve(order.size());
  for (size_t i : order) {
    size_t at = bytes->size();
    absl::string_view key = stream.key(visits[i]);
    absl::string_view value = stream.value(visits[i]);
    bytes->append(key.data(), key.size());
    bytes->append(value.data(), value.size());
    const char* data = bytes->data() + at;
    sorted->push_back({absl::string_view(data, key.size()),
                       absl::string_view(data + key.size(), value.size()),
                       records[i]});
  }
}

}  // namespace

void Importer::Sort(Batch& batch) const {
  const std::vector<Table::Prepared>& prepared = batch.prepared;
  auto pk = [&](size_t i) { return absl::string_view(prepared[i].pk); };
  batch.by_key = InKeyOrder(prepared.size(), pk);
  batch.repeats = HasRepeats(batch.by_key, pk);
  std::vector<size_t> in_stream(prepared.size());
  std::iota(in_stream.begin(), in_stream.end(), size_t{0});
  batch.entries.resize(table_->indexes_.size());
  batch.entry_bytes.resize(table_->indexes_.size());
  for (size_t u = 0; u < table_->indexes_.size(); ++u) {
    bool unique = table_->indexes_[u].schema->unique;
    const PackedEntries& stream = batch.stream[u].entries;
    const std::vector<uint32_t>& first = batch.stream[u].first;
    // A non-unique index's entries are visited in their records' key order
    // (ByFields keeps it among equal fields), a unique one's in the stream's.
    std::vector<uint32_t> visits;  // in the stream's order
    std::vector<size_t> records;
    visits.reserve(stream.size());
    records.reserve(stream.size());
    for (size_t r : unique ? in_stream : batch.by_key) {
      for (uint32_t i = first[r]; i < first[r + 1]; ++i) {
        visits.push_back(i);
        records.push_back(r);
      }
    }
    auto key = [&](size_t i) { return stream.key(visits[i]); };
    std::vector<size_t> order;
    if (unique) {
      order = InKeyOrder(visits.size(), key);
    } else {
      order = ByFields(visits.size(), [&](size_t i) {
        return key(i).substr(0, key(i).size() - prepared[records[i]].pk.size());
      });
    }
    CopySorted(stream, visits, records, order, &batch.entry_bytes[u],
               &batch.entries[u]);
    if (unique) {
      batch.repeats = batch.repeats ||
                      HasRepeats(batch.entries[u],
                                 [](const ImportEntry& e) { return e.key; });
    }
  }
  // Decide reads them again only when the batch repeats itself.
  if (!batch.repeats) batch.stream = {};
}

absl::Status Importer::ApplySorted(MDB_txn* txn, Batch& batch,
                                   bool* in_order) const {
  *in_order = table_->parent_ == table_;
  if (*in_order || batch.prepared.empty()) return absl::OkStatus();
  std::vector<absl::Status> refused(batch.prepared.size());
  LMDBAPI_RETURN_IF_ERROR(LookUp(txn, batch, &refused, in_order));
  if (*in_order) return absl::OkStatus();
  return WriteSorted(txn, batch, Decide(batch, std::move(refused)));
}

absl::Status Importer::LookUp(MDB_txn* txn, const Batch& batch,
                              std::vector<absl::Status>* refused,
                              bool* in_order) const {
  const std::vector<Table::Prepared>& prepared = batch.prepared;
  {
    // A key above the last stored one is not stored: no search.
    LMDBAPI_ASSIGN_OR_RETURN(AppendTail tail,
                             AppendTail::Of(txn, table_->records_));
    LMDBAPI_ASSIGN_OR_RETURN(Cursor records,
                             Cursor::Open(txn, table_->records_));
    for (size_t i : batch.by_key) {
      if (tail.Beyond(prepared[i].pk)) break;  // and every key after it
      LMDBAPI_ASSIGN_OR_RETURN(bool stored, records.Find(prepared[i].pk));
      if (!stored) continue;
      if (options_.replace_existing) {
        *in_order = true;  // an update: its old entries go
        return absl::OkStatus();
      }
      (*refused)[i] = KeyExists(prepared[i].pk);
    }
  }
  for (size_t i = 0; table_->parent_ != nullptr && i < prepared.size(); ++i) {
    if (!(*refused)[i].ok()) continue;
    absl::Status parent = table_->CheckParentInTxn(txn, prepared[i]);
    if (!parent.ok() && !IsRecordRefusal(parent)) return parent;
    (*refused)[i] = parent;
  }
  // Each unique index in schema order: its first clash refuses the record.
  for (size_t u = 0; u < table_->indexes_.size(); ++u) {
    const Table::Index& index = table_->indexes_[u];
    if (!index.schema->unique) continue;
    LMDBAPI_ASSIGN_OR_RETURN(AppendTail tail, AppendTail::Of(txn, index.dbi));
    LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, index.dbi));
    for (const ImportEntry& ref : batch.entries[u]) {
      if (tail.Beyond(ref.key)) break;  // sorted: none after it is held
      if (!(*refused)[ref.record].ok()) continue;
      LMDBAPI_ASSIGN_OR_RETURN(bool held, cursor.Find(ref.key));
      if (!held) continue;
      absl::StatusOr<absl::string_view> holder =
          PrimaryKeyOfEntry(*index.schema, cursor.key(), cursor.value());
      (*refused)[ref.record] = UniqueClash(index, holder.ok() ? *holder : "?");
    }
  }
  return absl::OkStatus();
}

std::vector<bool> Importer::Decide(Batch& batch,
                                   std::vector<absl::Status> refused) const {
  const std::vector<Table::Prepared>& prepared = batch.prepared;
  // What the records before took: needed only when the batch repeats a key
  // or a unique index's values.
  absl::flat_hash_set<absl::string_view> keys;
  std::vector<absl::flat_hash_map<absl::string_view, absl::string_view>> taken(
      batch.repeats ? table_->indexes_.size() : 0);
  std::vector<bool> written(prepared.size(), false);
  for (size_t i = 0; i < prepared.size(); ++i) {
    absl::Status status = std::move(refused[i]);
    if (status.ok() && batch.repeats && keys.contains(prepared[i].pk)) {
      status = KeyExists(prepared[i].pk);
    }
    for (size_t u = 0; status.ok() && u < taken.size(); ++u) {
      if (!table_->indexes_[u].schema->unique) continue;
      const StreamEntries& stream = batch.stream[u];
      for (uint32_t e = stream.first[i]; e < stream.first[i + 1]; ++e) {
        auto it = taken[u].find(stream.entries.key(e));
        if (it == taken[u].end()) continue;
        status = UniqueClash(table_->indexes_[u], it->second);
        break;
      }
    }
    if (!status.ok()) {
      if (Refuse(batch, i, status)) continue;
      break;
    }
    written[i] = true;
    if (!batch.repeats) continue;
    keys.insert(prepared[i].pk);
    for (size_t u = 0; u < taken.size(); ++u) {
      if (!table_->indexes_[u].schema->unique) continue;
      const StreamEntries& stream = batch.stream[u];
      for (uint32_t e = stream.first[i]; e < stream.first[i + 1]; ++e) {
        taken[u].emplace(stream.entries.key(e), prepared[i].pk);
      }
    }
  }
  return written;
}

absl::Status Importer::WriteSorted(MDB_txn* txn, Batch& batch,
                                   const std::vector<bool>& written) const {
  const std::vector<Table::Prepared>& prepared = batch.prepared;
  std::vector<size_t> in_stream;  // the records written, in stream order
  for (size_t i = 0; i < written.size(); ++i) {
    if (written[i]) in_stream.push_back(i);
  }
  if (in_stream.empty()) return absl::OkStatus();
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<RevisionClock::Tick> ticks,
                           table_->clock_->Take(txn, in_stream.size()));
  std::vector<RecordVersion> versions(prepared.size());
  std::vector<NewChange> changes(in_stream.size());
  for (size_t k = 0; k < in_stream.size(); ++k) {
    const Table::Prepared& p = prepared[in_stream[k]];
    RecordVersion& v = versions[in_stream[k]];
    v.revision = ticks[k].revision;
    v.update_micros = v.create_micros = table_->clock_->NowMicros();
    changes[k] = {ticks[k].revision,
                  ticks[k].position,
                  ChangeType::kInsert,
                  table_->name(),
                  p.pk,
                  p.value};
  }
  auto failed = [&](size_t record, const absl::Status& status) {
    return IsMapFull(status) ? status
                             : AtRecord(batch.positions[record], status);
  };
  {
    LMDBAPI_ASSIGN_OR_RETURN(AppendTail tail,
                             AppendTail::Of(txn, table_->records_));
    LMDBAPI_ASSIGN_OR_RETURN(Cursor records,
                             Cursor::Open(txn, table_->records_));
    for (size_t i : batch.by_key) {  // format 2, written in the page
      if (!written[i]) continue;
      const std::string& record = prepared[i].value;
      char* value = nullptr;
      absl::Status put = tail.Reserve(records, prepared[i].pk,
                                      kStoredHeaderSize + record.size(),
                                      MDB_NOOVERWRITE, &value);
      if (!put.ok()) return failed(i, put);
      WriteStored(versions[i], record, value);
    }
  }
  for (size_t u = 0; u < table_->indexes_.size(); ++u) {
    if (!table_->Maintained(u)) continue;
    const Table::Index& index = table_->indexes_[u];
    unsigned flags = index.schema->unique ? MDB_NOOVERWRITE : 0;
    LMDBAPI_ASSIGN_OR_RETURN(AppendTail tail, AppendTail::Of(txn, index.dbi));
    LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, index.dbi));
    for (const ImportEntry& ref : batch.entries[u]) {
      if (!written[ref.record]) continue;
      absl::Status put = tail.Put(cursor, ref.key, ref.value, flags);
      if (!put.ok()) return failed(ref.record, put);
    }
  }
  LMDBAPI_RETURN_IF_ERROR(table_->changes_->AppendAll(txn, changes));
  batch.result->stored = in_stream.size();
  batch.result->revision = ticks.back().revision;
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
