// A chunk of an online index build. The builder thread reads the chunk's
// records in a snapshot of its own and computes and sorts their entries for
// every index it builds (ReadAhead), while the writer serves writes. In the
// writer's transaction the chunk checks that the records it read are still
// the records stored (a cursor walk comparing keys and bytes), then puts
// the entries in key order through one cursor per index and records the
// builds' progress. When a write changed a record of the chunk meanwhile,
// the chunk is read again inside the transaction: the entries put are
// always those of the records the transaction holds.
#include "storage/index_builder_chunk.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/index_build_record.h"
#include "storage/index_builder.h"
#include "storage/index_key.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

// Positions `cursor` at the first record after `after` (none: the first).
absl::StatusOr<bool> SeekAfter(Cursor& cursor,
                               const std::optional<std::string>& after) {
  if (!after) return cursor.First();
  LMDBAPI_ASSIGN_OR_RETURN(bool more, cursor.Seek(*after));
  if (more && cursor.key() == *after) return cursor.Next();
  return more;
}

// Puts `entry` through `cursor` (on `index`'s database); for a unique
// index (whose entry's value is its record's key) an entry already there
// for the same record (a write put it) is fine, another record's is the
// returned error text.
absl::StatusOr<std::string> PutBuiltEntry(MDB_txn* txn, Cursor& cursor,
                                          MDB_dbi dbi, const IndexSchema& index,
                                          absl::string_view key,
                                          absl::string_view value) {
  absl::Status put = cursor.Put(key, value, index.unique ? MDB_NOOVERWRITE : 0);
  if (!absl::IsAlreadyExists(put)) {
    LMDBAPI_RETURN_IF_ERROR(put);
    return std::string();
  }
  LMDBAPI_ASSIGN_OR_RETURN(absl::string_view other, GetValue(txn, dbi, key));
  if (other == value) return std::string();
  return absl::StrCat("unique index '", index.name, "': records '", other,
                      "' and '", value, "' have the same values");
}

}  // namespace

// Adds a stored record's entries in the indexes a chunk builds to each
// part's: read off its bytes (storage/wire_record.h) as a write's are, and
// by reflection on the parsed record where the bytes cannot say or the
// entries fail (reflection words the error).
class IndexBuilder::RecordKeys {
 public:
  explicit RecordKeys(const Table& table) : table_(table) {}

  absl::Status Append(absl::string_view pk, absl::string_view bytes,
                      std::vector<ChunkPart>& parts) {
    std::optional<absl::Status> wired = table_.wire_->Entries(bytes, pk, &all_);
    if (wired.has_value() && wired->ok()) {
      for (ChunkPart& part : parts) {
        for (const IndexEntry& e :
             all_.of(part.index - table_.indexes_.data())) {
          part.entries.Add(e.key, e.value, pk.size());
        }
      }
      return absl::OkStatus();
    }
    if (scratch_ == nullptr) scratch_.reset(table_.prototype_->New());
    LMDBAPI_RETURN_IF_ERROR(table_.ParseRecord(pk, bytes, scratch_.get()));
    for (ChunkPart& part : parts) {
      parsed_.clear();
      LMDBAPI_RETURN_IF_ERROR(
          AppendIndexEntries(*scratch_, *part.index->schema, pk, &parsed_));
      for (const IndexEntry& e : parsed_) {
        part.entries.Add(e.key, e.value, pk.size());
      }
    }
    return absl::OkStatus();
  }

 private:
  const Table& table_;
  RecordEntries all_;
  std::unique_ptr<google::protobuf::Message> scratch_;
  std::vector<IndexEntry> parsed_;
};

absl::Status IndexBuilder::PartsInTxn(MDB_txn* txn, Slot* lead,
                                      std::vector<ChunkResult>* results,
                                      std::vector<ChunkPart>* parts) {
  std::vector<std::pair<Slot*, uint64_t>> building;  // and generations
  {
    absl::MutexLock lock(&mu_);
    building.emplace_back(lead, lead->generation);
    for (Slot& s : slots_) {
      if (&s != lead && s.table == lead->table &&
          s.table->index_state(s.index) == IndexState::kBuilding) {
        building.emplace_back(&s, s.generation);
      }
    }
  }
  for (const auto& [slot, generation] : building) {
    const Table::Index& index = slot->table->indexes_[slot->index];
    ChunkPart part{results->size(), &index,
                   BuildKey(slot->table->name(), index.schema->name)};
    absl::StatusOr<absl::string_view> bytes = GetValue(txn, meta_, part.key);
    if (!bytes.ok() && !absl::IsNotFound(bytes.status())) {
      return bytes.status();
    }
    if (bytes.ok()) {
      LMDBAPI_ASSIGN_OR_RETURN(part.record, Decode(part.key, *bytes));
    }
    // Not ready, dropped or failed meanwhile.
    const bool stale = !bytes.ok() || part.record.failed;
    if (slot == lead) {
      results->push_back(ChunkResult{slot, stale, generation});
      if (stale) return absl::OkStatus();
    } else if (stale || part.record.cursor != parts->front().record.cursor) {
      continue;  // its own chunks will come
    } else {
      results->push_back(ChunkResult{slot, false, generation});
    }
    parts->push_back(std::move(part));
  }
  return absl::OkStatus();
}

absl::Status IndexBuilder::ReadChunk(MDB_txn* txn, const Table& table,
                                     std::vector<ChunkPart>& parts, bool copy,
                                     ChunkRead* read) const {
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, table.records_));
  RecordKeys keys(table);
  read->last = parts.front().record.cursor;
  size_t bytes = 0;
  absl::StatusOr<bool> more = SeekAfter(cursor, read->last);
  for (; more.ok() && *more && read->records < chunk_records_ &&
         bytes < kChunkBytes;
       more = cursor.Next()) {
    const absl::string_view pk = cursor.key(), value = cursor.value();
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, SplitStored(value));
    LMDBAPI_RETURN_IF_ERROR(keys.Append(pk, stored.bytes, parts));
    if (copy) {
      read->ends.push_back(read->copied.append(pk.data(), pk.size()).size());
      read->ends.push_back(
          read->copied.append(value.data(), value.size()).size());
    }
    read->last = std::string(pk);
    ++read->records;
    bytes += value.size();
  }
  LMDBAPI_RETURN_IF_ERROR(more.status());
  read->more = *more;
  for (ChunkPart& part : parts) {  // in key order: neighbouring puts
    part.entries.Sort(part.index->schema->unique);
  }
  return absl::OkStatus();
}

std::unique_ptr<IndexBuilder::ChunkAhead> IndexBuilder::ReadAhead(Slot* lead) {
  auto ahead = std::make_unique<ChunkAhead>();
  // Ended before the writer's turn: growing the map waits for readers.
  absl::StatusOr<Environment::ReadTxn> txn = lead->table->env_->BeginRead();
  std::vector<ChunkResult> results;
  absl::Status status = txn.status();
  if (status.ok())
    status = PartsInTxn(txn->get(), lead, &results, &ahead->parts);
  if (status.ok() && !ahead->parts.empty()) {
    status =
        ReadChunk(txn->get(), *lead->table, ahead->parts, true, &ahead->read);
  }
  // Nothing read (or a failure): the writer's transaction does it all.
  if (!status.ok() || ahead->parts.empty()) return nullptr;
  return ahead;
}

absl::StatusOr<bool> IndexBuilder::StillStored(
    MDB_txn* txn, const Table& table, const std::vector<ChunkPart>& parts,
    const ChunkAhead& ahead) const {
  if (parts.size() != ahead.parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const BuildRecord& now = parts[i].record;
    const BuildRecord& then = ahead.parts[i].record;
    if (parts[i].index != ahead.parts[i].index || now.cursor != then.cursor ||
        now.built != then.built) {
      return false;
    }
  }
  const ChunkRead& read = ahead.read;
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, table.records_));
  absl::StatusOr<bool> more = SeekAfter(cursor, parts.front().record.cursor);
  size_t begin = 0;
  for (size_t i = 0; i < read.records; ++i, more = cursor.Next()) {
    LMDBAPI_RETURN_IF_ERROR(more.status());
    const absl::string_view copied(read.copied);
    const absl::string_view pk = copied.substr(begin, read.ends[2 * i] - begin);
    begin = read.ends[2 * i];
    const absl::string_view value =
        copied.substr(begin, read.ends[2 * i + 1] - begin);
    begin = read.ends[2 * i + 1];
    if (!*more || cursor.key() != pk || cursor.value() != value) return false;
  }
  LMDBAPI_RETURN_IF_ERROR(more.status());
  return *more == read.more;
}

absl::Status IndexBuilder::ChunkInTxn(MDB_txn* txn, Slot* lead,
                                      const ChunkAhead* ahead,
                                      std::vector<ChunkResult>* results) {
  std::vector<ChunkPart> parts;
  LMDBAPI_RETURN_IF_ERROR(PartsInTxn(txn, lead, results, &parts));
  if (parts.empty()) return absl::OkStatus();
  const Table& table = *lead->table;
  if (ahead != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(bool same, StillStored(txn, table, parts, *ahead));
    if (same) return WriteChunk(txn, ahead->parts, ahead->read, parts, results);
  }
  ChunkRead read;
  LMDBAPI_RETURN_IF_ERROR(ReadChunk(txn, table, parts, false, &read));
  return WriteChunk(txn, parts, read, parts, results);
}

absl::Status IndexBuilder::WriteChunk(MDB_txn* txn,
                                      const std::vector<ChunkPart>& entries,
                                      const ChunkRead& read,
                                      std::vector<ChunkPart>& parts,
                                      std::vector<ChunkResult>* results) const {
  for (size_t i = 0; i < parts.size(); ++i) {
    ChunkPart& part = parts[i];
    part.record.cursor = read.last;
    part.record.built += read.records;
    LMDBAPI_RETURN_IF_ERROR(PutPartInTxn(txn, part, entries[i].entries,
                                         !read.more, &(*results)[part.result]));
  }
  return absl::OkStatus();
}

absl::Status IndexBuilder::PutPartInTxn(MDB_txn* txn, const ChunkPart& part,
                                        const PackedEntries& entries, bool done,
                                        ChunkResult* result) const {
  const Table::Index& index = *part.index;
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, index.dbi));
  for (size_t i = 0; i < entries.size(); ++i) {
    LMDBAPI_ASSIGN_OR_RETURN(
        result->error, PutBuiltEntry(txn, cursor, index.dbi, *index.schema,
                                     entries.key(i), entries.value(i)));
    if (!result->error.empty()) {
      return FailInTxn(txn, *result->slot, result->error);
    }
  }
  result->built = part.record.built;
  result->total = part.record.total;
  result->done = done;
  if (done) return DeleteKey(txn, meta_, part.key);
  return PutValue(txn, meta_, part.key, Encode(part.record));
}

}  // namespace lmdbapi::storage
