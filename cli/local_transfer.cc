// LocalBackend's bulk paths: Export reads every record of the tables from
// one read snapshot; Import writes records in batches through the writer.
#include <lmdb.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "cli/local_backend.h"
#include "storage/status.h"
#include "storage/stored_record.h"

namespace lmdbapi::cli {

using google::protobuf::Message;

namespace {

// The records' database of `table` in `txn`, and how many it holds.
absl::StatusOr<std::pair<MDB_dbi, uint64_t>> RecordsOf(
    MDB_txn* txn, const std::string& table) {
  MDB_dbi dbi;
  int rc = mdb_dbi_open(txn, table.c_str(), 0, &dbi);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("table ", table, ": ", mdb_strerror(rc)));
  }
  MDB_stat stat;
  rc = mdb_stat(txn, dbi, &stat);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("table ", table, ": ", mdb_strerror(rc)));
  }
  return std::make_pair(dbi, static_cast<uint64_t>(stat.ms_entries));
}

// Every record of `dbi` in key order, as serialized (without the version
// it is stored with: storage/stored_record.h), for `sink`.
absl::Status ScanRecords(MDB_txn* txn, MDB_dbi dbi, const TableInfo& table,
                         SerializedSink sink, Progress* progress) {
  MDB_cursor* cursor;
  int rc = mdb_cursor_open(txn, dbi, &cursor);
  if (rc != 0) return absl::InternalError(mdb_strerror(rc));
  std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> closer(cursor,
                                                            mdb_cursor_close);
  MDB_val key, value;
  uint64_t scanned = 0;
  for (rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) {
    absl::StatusOr<storage::StoredRecord> stored = storage::SplitStored(
        absl::string_view(static_cast<char*>(value.mv_data), value.mv_size));
    absl::Status taken =
        stored.ok() ? sink(table, stored->bytes) : stored.status();
    if (!taken.ok()) {
      return absl::Status(
          taken.code(),
          absl::StrCat(
              "table ", table.name, ", record '",
              absl::string_view(static_cast<char*>(key.mv_data), key.mv_size),
              "': ", taken.message()));
    }
    if (progress != nullptr && ++scanned % 1024 == 0) progress->Add(1024);
  }
  if (progress != nullptr) progress->Add(scanned % 1024);
  if (rc != MDB_NOTFOUND) return absl::InternalError(mdb_strerror(rc));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> LocalBackend::Export(
    const std::vector<const TableInfo*>& tables, SerializedSink sink,
    Progress* progress) {
  LMDBAPI_ASSIGN_OR_RETURN(storage::Environment::ReadTxn txn,
                           db_->env().BeginRead());
  std::vector<MDB_dbi> dbis;
  uint64_t total = 0;
  for (const TableInfo* table : tables) {
    LMDBAPI_ASSIGN_OR_RETURN(auto records, RecordsOf(txn.get(), table->name));
    dbis.push_back(records.first);
    total += records.second;
  }
  if (progress != nullptr) progress->set_total(total);
  for (size_t i = 0; i < tables.size(); ++i) {
    LMDBAPI_RETURN_IF_ERROR(
        ScanRecords(txn.get(), dbis[i], *tables[i], sink, progress));
  }
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t revision, db_->changes().Last(txn.get()));
  return revision;
}

absl::StatusOr<ImportResult> LocalBackend::Import(const TableInfo& table,
                                                  RecordSource& source,
                                                  const ImportOptions& options,
                                                  Progress* progress) {
  storage::Table& t = *TableOf(table);
  ImportResult result;
  std::vector<std::unique_ptr<Message>> batch;
  std::vector<uint64_t> lines;
  size_t batch_size = options.batch == 0 ? 1 : options.batch;
  std::string wire;
  while (true) {
    std::unique_ptr<Message> record = NewRecord(table);
    uint64_t line = 0;
    absl::StatusOr<bool> next = source.Next(&wire, &line);
    if (next.ok() && *next && !record->ParseFromString(wire)) {
      next = absl::InvalidArgumentError(
          absl::StrCat("line ", line, ": not a ", table.record->full_name()));
    }
    if (next.ok() && *next) {
      batch.push_back(std::move(record));
      lines.push_back(line);
    }
    bool flush = !next.ok() || !*next || batch.size() == batch_size;
    if (flush && !batch.empty()) {
      uint64_t before = result.imported;
      LMDBAPI_RETURN_IF_ERROR(WriteBatch(t, batch, lines, options, result));
      if (progress != nullptr) {
        // The records in all, estimated from the bytes read so far.
        if (source.bytes_total() > 0 && source.bytes_read() > 0) {
          progress->set_total(result.imported * source.bytes_total() /
                              source.bytes_read());
        }
        progress->Add(result.imported - before);
      }
      batch.clear();
      lines.clear();
    }
    if (next.ok() && !*next) break;
    if (next.ok()) continue;
    if (!options.skip_bad || !absl::IsInvalidArgument(next.status())) {
      return next.status();
    }
    result.skipped.emplace_back(line, std::string(next.status().message()));
  }
  return result;
}

absl::Status LocalBackend::WriteBatch(
    storage::Table& table, std::vector<std::unique_ptr<Message>>& batch,
    const std::vector<uint64_t>& lines, const ImportOptions& options,
    ImportResult& result) {
  std::vector<Message*> records;
  for (const auto& record : batch) records.push_back(record.get());
  if (table.BatchInsert(records).ok()) {
    result.imported += records.size();
    return absl::OkStatus();
  }
  // Refused as a whole: write them one by one to find the bad ones.
  for (size_t i = 0; i < records.size(); ++i) {
    absl::Status inserted = table.Insert(records[i]);
    if (inserted.ok()) {
      ++result.imported;
      continue;
    }
    std::string why = absl::StrCat("line ", lines[i], ": ", inserted.message());
    if (!options.skip_bad || storage::IsMapFull(inserted)) {
      return absl::Status(inserted.code(), why);
    }
    result.skipped.emplace_back(lines[i], why);
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::cli
