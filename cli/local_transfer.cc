// LocalBackend's bulk paths: Export reads every record of the tables from
// one read snapshot; Import writes records in batches through the writer.
#include <lmdb.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "cli/import_lines.h"
#include "cli/local_backend.h"
#include "cli/progress.h"
#include "storage/importer.h"
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

// Records per write of an offline import unless --batch says, and the
// bytes that end a batch sooner: a server's Import stream's
// (server/table/import_stream.h).
constexpr size_t kImportBatchRecords = 65536;
constexpr size_t kImportBatchBytes = 32 << 20;

// An offline import's batches through storage::Importer, one queued behind
// the other at most, and what they did, its records named by their lines.
class LocalImport {
 public:
  struct Batch {
    void Add(std::unique_ptr<Message> record, uint64_t line, size_t size) {
      records.push_back({record.get(), line});
      owned.push_back(std::move(record));
      bytes += size;
    }
    std::vector<std::unique_ptr<Message>> owned;  // until the writer's done
    std::vector<storage::ImportRecord> records;
    size_t bytes = 0;
    uint64_t estimate = 0;  // the import's records, guessed at its submit
    storage::ImportBatchResult result;
    absl::Notification done;
    absl::Status status;
  };

  LocalImport(storage::Table* table, const ImportOptions& options,
              RecordSource& source, Progress* progress)
      : importer_(table, StorageOptions(options)),
        source_(source),
        progress_(progress) {}
  // A batch lives until the writer is done with it.
  ~LocalImport() {
    if (pending_ != nullptr) pending_->done.WaitForNotification();
  }

  // Queues `batch` (prepared on this thread) behind the pending one, then
  // waits for that. `more`: whether later batches may follow (not after a
  // batch that ends the import). The error that stopped the import, once
  // both are done.
  absl::Status Write(std::unique_ptr<Batch> batch, bool* more) {
    read_ += batch->records.size();
    if (source_.bytes_total() > 0 && source_.bytes_read() > 0) {
      batch->estimate = read_ * source_.bytes_total() / source_.bytes_read();
    }
    Batch* b = batch.get();
    *more = importer_.Submit(std::move(b->records), &b->result,
                             [b](absl::Status status) {
                               b->status = status;
                               b->done.Notify();
                             });
    absl::Status before = Finish();
    pending_ = std::move(batch);
    if (!before.ok()) {
      Finish().IgnoreError();  // stores nothing after the stop
      return before;
    }
    return absl::OkStatus();
  }

  // Once the batches are committed: makes them durable (an import's
  // batches commit unsynced, storage::Importer::Sync).
  absl::Status Sync() { return importer_.Sync(); }

  // Waits for the pending batch; the error that stopped the import.
  absl::Status Finish() {
    if (pending_ == nullptr) return absl::OkStatus();
    std::unique_ptr<Batch> batch = std::move(pending_);
    batch->done.WaitForNotification();
    LMDBAPI_RETURN_IF_ERROR(batch->status);
    const storage::ImportBatchResult& r = batch->result;
    result_.imported += r.stored;
    if (r.revision != 0) result_.revision = r.revision;
    if (progress_ != nullptr) {
      if (batch->estimate > 0) progress_->set_total(batch->estimate);
      progress_->Add(r.stored);
    }
    for (const auto& [line, refusal] : r.rejected) {
      std::string why = WithLine(refusal.message(), {});
      if (r.stopped) return absl::Status(refusal.code(), why);
      Skip(line, absl::InvalidArgumentError(why));
    }
    return absl::OkStatus();
  }

  void Skip(uint64_t line, const absl::Status& why) {
    result_.skipped.emplace_back(line, std::string(why.message()));
  }

  // The import's outcome, its skipped lines in order.
  ImportResult result() {
    std::sort(result_.skipped.begin(), result_.skipped.end());
    result_.skipped_count = result_.skipped.size();
    return result_;
  }

 private:
  static storage::ImportOptions StorageOptions(const ImportOptions& options) {
    storage::ImportOptions storage_options;
    storage_options.skip_bad = options.skip_bad;
    return storage_options;
  }

  storage::Importer importer_;
  RecordSource& source_;
  Progress* const progress_;
  std::unique_ptr<Batch> pending_;
  uint64_t read_ = 0;
  ImportResult result_;
};

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

// An offline import writes as a server's Import stream does
// (storage/importer.h): batches prepared and sorted on this thread, each
// one durable write of the writer, the next batch read while the writer
// commits the one before. A record's position in the import is its line.
absl::StatusOr<ImportResult> LocalBackend::Import(const TableInfo& table,
                                                  RecordSource& source,
                                                  const ImportOptions& options,
                                                  Progress* progress) {
  LocalImport import(TableOf(table), options, source, progress);
  const size_t most = options.batch == 0 ? kImportBatchRecords : options.batch;
  auto batch = std::make_unique<LocalImport::Batch>();
  absl::Status stopped;  // a line that does not read, without skip_bad
  absl::Status written;  // a batch that failed or ended the import
  bool more = true;
  std::string wire;
  while (more) {
    uint64_t line = 0;
    absl::StatusOr<bool> next = source.Next(&wire, &line);
    std::unique_ptr<Message> record;
    if (next.ok() && *next) {
      record = NewRecord(table);
      if (!record->ParseFromString(wire)) {
        next = absl::InvalidArgumentError(
            absl::StrCat("line ", line, ": not a ", table.record->full_name()));
      }
    }
    const bool skip = !next.ok() && options.skip_bad &&
                      absl::IsInvalidArgument(next.status());
    if (skip) import.Skip(line, next.status());
    if (!next.ok() && !skip) stopped = next.status();
    const bool ended = !stopped.ok() || (next.ok() && !*next);
    if (next.ok() && *next) batch->Add(std::move(record), line, wire.size());
    if (!ended && batch->records.size() < most &&
        batch->bytes < kImportBatchBytes) {
      continue;
    }
    if (!batch->records.empty()) {
      written = import.Write(std::move(batch), &more);
      if (!written.ok()) break;  // Write waited for the pending batch
      batch = std::make_unique<LocalImport::Batch>();
    }
    if (ended) more = false;
  }
  absl::Status finished = written.ok() ? import.Finish() : written;
  // What it reports stored is durable, also when it stops.
  LMDBAPI_RETURN_IF_ERROR(import.Sync());
  LMDBAPI_RETURN_IF_ERROR(finished);
  LMDBAPI_RETURN_IF_ERROR(stopped);
  return import.result();
}

}  // namespace lmdbapi::cli
