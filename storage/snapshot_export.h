// A walk over one table's records, in primary-key order, from one read
// snapshot (the Export RPC, `lmdbapi export`): the caller takes the records
// a chunk at a time, so the table is never held in memory.
//
// The snapshot is an LMDB read transaction (Environment::BeginSnapshot) kept
// open until the export is destroyed, on whatever thread: writes go on
// meanwhile and are not seen, but the pages it holds cannot be reused and
// growing the map waits for it (as for a backup), so a caller that stops
// reading should destroy it.
#ifndef LMDBAPI_STORAGE_SNAPSHOT_EXPORT_H_
#define LMDBAPI_STORAGE_SNAPSHOT_EXPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "storage/environment.h"
#include "storage/lmdb.h"
#include "storage/query.h"
#include "storage/record_version.h"
#include "storage/stored_record.h"
#include "storage/table.h"

namespace lmdbapi::storage {

class SnapshotExport {
 public:
  // Opens the snapshot. Only records matching `query`'s predicates and
  // filter are returned (its page and order fields play no part);
  // INVALID_ARGUMENT naming the field as for Filter.
  static absl::StatusOr<std::unique_ptr<SnapshotExport>> Open(
      const Table& table, const Query& query);

  // The revision of the snapshot: every write up to it is seen, none after.
  uint64_t revision() const { return revision_; }

  // Hands the next matching records to `add`, each serialized with its
  // version fields (the stored bytes, the version fields appended: no parse
  // without a filter), until `max_records` are added or `max_bytes` of them
  // read; false once no record is left. The bytes `add` sees are valid
  // only during the call.
  absl::StatusOr<bool> Next(size_t max_records, size_t max_bytes,
                            absl::FunctionRef<void(absl::string_view)> add);

 private:
  SnapshotExport(const Table& table, Environment::ReadTxn txn, Cursor cursor,
                 Cursor versions, Plan plan, uint64_t revision);
  // Whether the record under the cursor (its serialized `bytes`) matches
  // the filter.
  absl::StatusOr<bool> Matches(absl::string_view bytes);
  // The version of the record under the cursor, read as `stored`: stored
  // with it, or (format 1, storage/stored_record.h) from the versions
  // database, walked beside the records (both are in key order).
  absl::StatusOr<RecordVersion> Version(const StoredRecord& stored);

  const Table& table_;
  Environment::ReadTxn txn_;
  Cursor cursor_;
  Cursor versions_;
  bool versions_started_ = false;
  bool versions_done_ = false;
  Plan plan_;
  uint64_t revision_;
  bool started_ = false;
  bool done_ = false;
  // With a filter: each record is parsed here to be matched.
  std::unique_ptr<google::protobuf::Message> scratch_;
  std::string record_;  // the record handed to `add`
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_SNAPSHOT_EXPORT_H_
