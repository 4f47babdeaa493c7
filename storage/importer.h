// Bulk import into one table (the Import RPC, `lmdbapi import`): records
// arrive in batches; each batch is prepared (validated, serialized, its index
// entries computed) on the caller's thread and written as one operation of
// the group-commit writer, so a caller can prepare the next batch while the
// last one commits.
//
// A bad record (invalid, a duplicate key, a unique-index clash, a missing
// parent) writes nothing. With skip_bad it is left out and reported; without,
// the import stops at it: the records before it are stored, none after it,
// in this batch or any batch submitted after it. Records take one revision
// each, as single Inserts do; replace_existing turns a stored key into an
// Update (index entries follow).
#ifndef LMDBAPI_STORAGE_IMPORTER_H_
#define LMDBAPI_STORAGE_IMPORTER_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/table.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

struct ImportOptions {
  bool skip_bad = false;          // leave bad records out and go on
  bool replace_existing = false;  // a stored key: replace, not ALREADY_EXISTS
  // As WriteOptions::deadline: a batch the writer takes later is not applied.
  WriteDeadline deadline = WriteDeadline::max();
};

// One record of an import and its position in the import (from 1): a
// parsed record, or (`record` null) the bytes of one that
// Table::Canonical accepted, prepared as they are (Table::PrepareCanonical).
struct ImportRecord {
  google::protobuf::Message* record;
  uint64_t position;
  absl::string_view canonical = {};
};

// What one batch did: complete once its `done` ran with OK.
struct ImportBatchResult {
  uint64_t stored = 0;    // records written
  uint64_t revision = 0;  // of the last record written; 0: none
  // Each record left out (skip_bad) or, without skip_bad, the one that
  // stopped the import: its position in the stream and why, as "record 12:
  // field 'fee_cents': ..." with the code of the refusal.
  std::vector<std::pair<uint64_t, absl::Status>> rejected;
  bool stopped = false;  // without skip_bad: a bad record ended the import
  // The batch's prepared records: freed with the result, by its owner,
  // not on the writer thread (which frees nothing of a batch).
  std::shared_ptr<const void> prepared;
};

class Importer {
 public:
  // `table` must outlive the importer; the importer must outlive every
  // batch's `done`.
  Importer(Table* table, ImportOptions options);

  // Prepares `records` (positions increasing) on this thread (an empty key
  // gets a new UUIDv7) and queues them as one write. `done` runs on the
  // writer thread once the batch is committed (or failed): visible, but
  // durable only once Sync() answers (Writer::SubmitUnsynced: its sync runs
  // beside the next batch); `result` (and the records) must stay alive
  // until then. Batches apply in the order submitted; after one stopped or
  // failed, the later ones store nothing. Returns false when the batch ends
  // the import already (a record failed to prepare, without skip_bad):
  // submit no more.
  bool Submit(std::vector<ImportRecord> records, ImportBatchResult* result,
              Writer::Done done);
  // Blocks until the batch is committed.
  absl::Status Submit(std::vector<ImportRecord> records,
                      ImportBatchResult* result);
  // `done` gets OK once every batch committed before is durable: before an
  // import answers (or reports) what it stored.
  void Sync(Writer::Done done);
  absl::Status Sync();

  // On a replicated shard a batch is one command of the consensus log
  // (storage/importer_command.cc), applied by every replica as the leader
  // applies it. Submit a batch there only once the one before is done: a
  // batch that stops the import must be the last one any replica applies.
  static bool Replicated(const Table& table);
  // The first byte of an import command, which tells it from a Commit's
  // (storage/database_command.cc).
  static constexpr uint8_t kCommandFormat = 2;
  // Applies the import command `command` (its bytes after the format byte
  // and the table's name) of `table` in `txn`. DATA_LOSS when this replica
  // cannot read it.
  static absl::Status ApplyCommand(Table* table, MDB_txn* txn,
                                   absl::string_view command);

 private:
  struct Batch;
  // The bytes every replica applies for `batch` (starting with
  // kCommandFormat).
  std::string EncodeCommand(const Batch& batch) const;
  // Writes the prepared records of batch `sequence` in `txn`: in key order
  // when every key is new, else record by record.
  absl::Status Apply(MDB_txn* txn, uint64_t sequence, Batch& batch) const;
  // Record by record, in the stream's order: checks one, writes it, goes on.
  absl::Status ApplyInOrder(MDB_txn* txn, Batch& batch) const;
  // The same outcome with the database's work in key order
  // (storage/importer_sorted.cc): every check's lookups sorted, then the
  // refusals decided in the stream's order, then each database's new
  // entries put in key order through one cursor. Sets `in_order`, having
  // written nothing, when the batch needs ApplyInOrder: a stored key to
  // replace, or a table that is its own parent.
  absl::Status ApplySorted(MDB_txn* txn, Batch& batch, bool* in_order) const;
  // On the caller's thread: the batch's records and entries in key order,
  // for ApplySorted.
  void Sort(Batch& batch) const;
  // ApplySorted's steps: the refusal (or OK) of each record by what `txn`
  // holds; then which records are written, refusals noted in the batch's
  // result; then the writes of those.
  absl::Status LookUp(MDB_txn* txn, const Batch& batch,
                      std::vector<absl::Status>* refused, bool* in_order) const;
  std::vector<bool> Decide(Batch& batch,
                           std::vector<absl::Status> refused) const;
  absl::Status WriteSorted(MDB_txn* txn, Batch& batch,
                           const std::vector<bool>& written) const;
  // Notes record `i`'s refusal in the batch's result: with skip_bad it is
  // left out (true: go on); without, it stops the import (false).
  bool Refuse(Batch& batch, size_t i, const absl::Status& status) const;
  // Whether `prepared` can be written as things stand in `txn`; sets
  // `exists` when its key is stored (and replace_existing allows it).
  absl::Status Check(MDB_txn* txn, const Table::Prepared& prepared,
                     bool* exists) const;
  absl::Status CheckUnique(MDB_txn* txn, const Table::Prepared& prepared) const;
  // The refusals: `pk` is stored; index `index`'s values are held by
  // `holder`.
  absl::Status KeyExists(absl::string_view pk) const;
  absl::Status UniqueClash(const Table::Index& index,
                           absl::string_view holder) const;

  Table* const table_;
  const ImportOptions options_;
  uint64_t next_sequence_ = 0;  // the caller's thread
  // The writer thread's: the first batch that stopped or failed.
  mutable uint64_t stopped_at_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_IMPORTER_H_
