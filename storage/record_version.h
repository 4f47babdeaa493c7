// What the server keeps about each record besides the record: the revision
// of its last write and its create/update times (24 bytes), stored in front
// of the record in the same value (storage/stored_record.h; format 1 kept
// them in "__versions.<table>", still read). The serialized record never
// holds these fields; they are set on the way out, into the fields the
// schema marks (if any).
//
// Revisions come from one counter per database, in the meta database,
// advanced inside each write's nested transaction: a write that rolls back
// gives its number back, so revisions follow commit order.
#ifndef LMDBAPI_STORAGE_RECORD_VERSION_H_
#define LMDBAPI_STORAGE_RECORD_VERSION_H_

#include <lmdb.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

struct RecordVersion {
  uint64_t revision = 0;  // 0: written before versions were kept
  int64_t create_micros = 0;
  int64_t update_micros = 0;
};

std::string EncodeVersion(const RecordVersion& version);
// DATA_LOSS when `bytes` is not an encoded version.
absl::StatusOr<RecordVersion> DecodeVersion(absl::string_view bytes);

// The most bytes of version fields: a revision's tag (5) and varint (10),
// and two timestamps (23 each).
inline constexpr size_t kMaxVersionFieldBytes = 15 + 2 * 23;

// Writes the version fields `table` has (revision, create_time,
// update_time) at `out` (room for kMaxVersionFieldBytes) as protobuf
// fields, and returns their length: appended to a serialized record without
// them, the bytes parse as the record with SetVersionFields applied.
size_t EncodeVersionFields(const TableSchema& table,
                           const RecordVersion& version, char* out);
// The same, appended to `wire`.
void AppendVersionFields(const TableSchema& table, const RecordVersion& version,
                         std::string* wire);

// The version of `pk` in `versions`; all zero when it has none.
absl::StatusOr<RecordVersion> ReadVersion(MDB_txn* txn, MDB_dbi versions,
                                          absl::string_view pk);

// The database's revision counter (in `meta`): the last write's revision.
absl::StatusOr<uint64_t> CurrentRevision(MDB_txn* txn, MDB_dbi meta);
// Sets it to `revision`.
absl::Status SetRevision(MDB_txn* txn, MDB_dbi meta, uint64_t revision);
// Advances it by `count` and returns the first of the new revisions.
absl::StatusOr<uint64_t> AdvanceRevision(MDB_txn* txn, MDB_dbi meta,
                                         uint64_t count);

// ABORTED naming `what` unless `expected` is 0 or the stored revision.
absl::Status CheckRevision(const RecordVersion& stored, uint64_t expected,
                           absl::string_view what);

// Sets the schema's revision/create_time/update_time fields of `record`.
void SetVersionFields(const TableSchema& table, const RecordVersion& version,
                      google::protobuf::Message* record);
// Whether `record` sets any of them (a client's copy sent back).
bool HasVersionFields(const TableSchema& table,
                      const google::protobuf::Message& record);
void ClearVersionFields(const TableSchema& table,
                        google::protobuf::Message* record);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_RECORD_VERSION_H_
