#include "storage/change_log.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
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

// Deletes every change of `revision`.
absl::Status DropRevision(MDB_txn* txn, MDB_dbi dbi, uint64_t revision) {
  std::string first = RevisionKey(revision);
  std::vector<std::string> keys;
  {
    LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, dbi));
    absl::StatusOr<bool> more = cursor.Seek(first);
    for (; more.ok() && *more; more = cursor.Next()) {
      if (RevisionOfKey(cursor.key()) != revision) break;
      keys.emplace_back(cursor.key());
    }
    LMDBAPI_RETURN_IF_ERROR(more);
  }
  for (const std::string& key : keys) {
    LMDBAPI_RETURN_IF_ERROR(DeleteKey(txn, dbi, key));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ChangeLog::Append(MDB_txn* txn, uint64_t revision,
                               uint32_t position, ChangeType type,
                               absl::string_view table, absl::string_view pk,
                               absl::string_view record) const {
  std::string value;
  value.reserve(1 + table.size() + pk.size() + record.size() + 4);
  value.push_back(static_cast<char>(type));
  PutLengthPrefixed(table, &value);
  PutLengthPrefixed(pk, &value);
  value.append(record.data(), record.size());
  LMDBAPI_RETURN_IF_ERROR(
      PutValue(txn, dbi_, RevisionKey(revision, position), value));
  // The first change of a revision drops the revision that falls out of
  // retention.
  if (position != 0 || revision <= retention_) return absl::OkStatus();
  return DropRevision(txn, dbi_, revision - retention_);
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
