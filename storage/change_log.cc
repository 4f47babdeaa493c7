#include "storage/change_log.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/append_tail.h"
#include "storage/coding.h"
#include "storage/lmdb.h"
#include "storage/record_version.h"

namespace lmdbapi::storage {
namespace {

// Big-endian, so that keys sort by revision, then position.
uint64_t BigEndian(absl::string_view bytes) {
  uint64_t n = 0;
  for (char c : bytes) n = (n << 8) | static_cast<uint8_t>(c);
  return n;
}

std::string RevisionKey(uint64_t revision, uint32_t position = 0) {
  std::string key(position == 0 ? 8 : 12, '\0');
  for (int i = 7; i >= 0; --i, revision >>= 8) {
    key[i] = static_cast<char>(revision & 0xff);
  }
  for (int i = 11; position != 0 && i >= 8; --i, position >>= 8) {
    key[i] = static_cast<char>(position & 0xff);
  }
  return key;
}

uint64_t RevisionOfKey(absl::string_view key) {
  return BigEndian(key.substr(0, 8));
}

// Deletes every change of the revisions up to `to`, in one sweep from the
// first: after a delete LMDB's cursor stands at the next entry, which
// MDB_NEXT returns.
absl::Status DropThrough(MDB_txn* txn, MDB_dbi dbi, uint64_t to) {
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi));
  absl::StatusOr<bool> more = cursor.First();
  for (; more.ok() && *more; more = cursor.Next()) {
    if (RevisionOfKey(cursor.key()) > to) break;
    LMDBAPI_RETURN_IF_ERROR(cursor.Delete());
  }
  return more.status();
}

// The stored value of `change`, in `value` (replaced).
void EncodeChange(const NewChange& change, std::string* value) {
  value->clear();
  value->reserve(1 + change.table.size() + change.pk.size() +
                 change.record.size() + 4);
  value->push_back(static_cast<char>(change.type));
  PutLengthPrefixed(change.table, value);
  PutLengthPrefixed(change.pk, value);
  value->append(change.record.data(), change.record.size());
}

}  // namespace

absl::Status ChangeLog::Append(MDB_txn* txn, uint64_t revision,
                               uint32_t position, ChangeType type,
                               absl::string_view table, absl::string_view pk,
                               absl::string_view record) const {
  std::string value;
  EncodeChange({revision, position, type, table, pk, record}, &value);
  return PutValue(txn, dbi_, RevisionKey(revision, position), value);
}

absl::Status ChangeLog::AppendAll(MDB_txn* txn,
                                  absl::Span<const NewChange> changes) const {
  if (changes.empty()) return absl::OkStatus();
  // Revisions only grow: the changes go at the log's end, in full pages.
  LMDBAPI_ASSIGN_OR_RETURN(AppendTail tail, AppendTail::Of(txn, dbi_));
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi_));
  std::string value;  // one buffer: LMDB copies each value
  for (const NewChange& change : changes) {
    EncodeChange(change, &value);
    LMDBAPI_RETURN_IF_ERROR(tail.Put(
        cursor, RevisionKey(change.revision, change.position), value, 0));
  }
  return absl::OkStatus();
}

absl::Status ChangeLog::Trim(MDB_txn* txn, uint64_t revision) const {
  if (revision <= retention_) return absl::OkStatus();
  return DropThrough(txn, dbi_, revision - retention_);
}

absl::StatusOr<uint64_t> ChangeLog::Last(MDB_txn* txn) const {
  return CurrentRevision(txn, meta_);
}

absl::StatusOr<uint64_t> ChangeLog::Oldest(MDB_txn* txn) const {
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi_));
  LMDBAPI_ASSIGN_OR_RETURN(bool any, cursor.First());
  if (any) return RevisionOfKey(cursor.key());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t last, Last(txn));
  return last + 1;
}

absl::StatusOr<std::vector<Change>> ChangeLog::Read(MDB_txn* txn, uint64_t from,
                                                    size_t limit) const {
  std::vector<Change> changes;
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi_));
  absl::StatusOr<bool> more = cursor.Seek(RevisionKey(from));
  for (; more.ok() && *more; more = cursor.Next()) {
    Change change;
    change.revision = RevisionOfKey(cursor.key());
    if (changes.size() >= limit &&
        (changes.empty() || change.revision != changes.back().revision)) {
      break;
    }
    change.position = static_cast<uint32_t>(BigEndian(cursor.key().substr(8)));
    absl::string_view value = cursor.value();
    if (value.empty() || value[0] < 1 || value[0] > 3) {
      return absl::DataLossError(
          absl::StrCat("change ", change.revision, " is damaged"));
    }
    Decoder decoder(value);
    change.type = static_cast<ChangeType>(decoder.Byte());
    change.table = decoder.LengthPrefixed();
    change.pk = decoder.LengthPrefixed();
    if (!decoder.ok()) {
      return absl::DataLossError(
          absl::StrCat("change ", change.revision, " is damaged"));
    }
    change.record = std::string(decoder.rest());
    changes.push_back(std::move(change));
  }
  LMDBAPI_RETURN_IF_ERROR(more);
  return changes;
}

}  // namespace lmdbapi::storage
