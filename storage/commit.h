// One atomic commit over the tables of a database (Database::Commit), like
// etcd's Txn or a SQL transaction: preconditions that write nothing, then an
// ordered list of writes (insert, update, patch, delete on any table). All
// of them apply, under one new revision, or none does: a refused
// precondition or write fails the whole commit with its code and a message
// that starts with its position ("writes[2]: field 'order_id': …").
//
// A later write may take the key of an earlier one (for example a new
// order's generated key as its lines' parent key): `key_refs` names the
// string fields of its record to set, and the write whose key they get.
#ifndef LMDBAPI_STORAGE_COMMIT_H_
#define LMDBAPI_STORAGE_COMMIT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/message.h"
#include "storage/record_version.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

class Table;

struct CommitCondition {
  enum class Kind { kExists, kAbsent, kRevision };
  Kind kind = Kind::kExists;
  const Table* table = nullptr;
  std::string key;
  uint64_t revision = 0;  // kRevision: the record must be at this revision
};

// A write's record: its own (deleted with the write), or one on the caller's
// protobuf arena (CommitService copies a request's records onto the
// request's), which the deleter leaves alone. Such a record is not to be
// used once its arena is gone, but as the deleter never touches it, the
// write may be destroyed after that (the writer's thread drops a commit
// once it has answered, when gRPC may already have freed the call).
class RecordDeleter {
 public:
  explicit RecordDeleter(bool owns = true) : owns_(owns) {}
  // A std::unique_ptr<SomeMessage> of its own converts.
  template <typename T>
  RecordDeleter(std::default_delete<T>) : owns_(true) {}  // NOLINT
  void operator()(google::protobuf::Message* record) const {
    if (owns_) delete record;
  }

 private:
  bool owns_;
};
using RecordPtr = std::unique_ptr<google::protobuf::Message, RecordDeleter>;

// `prototype`'s type, new on `arena` (nullptr: the heap).
inline RecordPtr NewRecord(const google::protobuf::Message& prototype,
                           google::protobuf::Arena* arena) {
  return RecordPtr(prototype.New(arena), RecordDeleter(arena == nullptr));
}

struct CommitWrite {
  enum class Kind { kInsert, kUpdate, kPatch, kDelete };
  Kind kind = Kind::kInsert;
  Table* table = nullptr;
  // Insert and Update: the record; Patch: its key and the new values of
  // `paths`. Not used by Delete.
  RecordPtr record;
  std::vector<std::string> paths;  // Patch: the fields to change
  std::string key;                 // Delete: the key to delete
  uint64_t expected_revision = 0;  // 0: any (else ABORTED, as Update)
  // (string field of `record`, index of an earlier write): the field is set
  // to that write's key before this write is prepared.
  std::vector<std::pair<std::string, size_t>> key_refs;

  // After the commit: its key and new version, and the record as stored
  // without its server fields (SetVersionFields adds them): `record` for an
  // Insert or Update, `stored` (the merged record) for a Patch.
  RecordPtr stored;
  RecordVersion version;
  // After an Insert or Update is applied: the record's bytes as stored,
  // without the version fields (AppendVersionFields adds them). They belong
  // to the commit's prepared writes, which live until the commit's done
  // callback returns (Writer::Submit): an answer built there reads them
  // instead of serializing `record` again. Empty for a Patch and a Delete.
  absl::string_view stored_value;

  google::protobuf::Message* written() const {
    return kind == Kind::kPatch ? stored.get() : record.get();
  }
  // The written record, given up by this write (to an answer).
  RecordPtr TakeWritten() {
    return std::move(kind == Kind::kPatch ? stored : record);
  }
};

struct Commit {
  std::vector<CommitCondition> conditions;
  std::vector<CommitWrite> writes;
  uint64_t revision = 0;  // after the commit: the revision of all its writes
  // As WriteOptions::deadline: not applied once it has passed.
  WriteDeadline deadline = WriteDeadline::max();
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_COMMIT_H_
