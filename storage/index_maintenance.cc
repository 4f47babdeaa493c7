// Index maintenance (the seeds' "Composite Index Recovery"): rebuilding
// indexes from the records, and verifying that indexes and records agree.
#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/table.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

bool EntryLess(const IndexEntry& a, const IndexEntry& b) { return a.key < b.key; }

// Calls `visit(pk, record)` for every record of the table, in key order.
template <typename Visit>
absl::Status ForEachRecord(MDB_txn* txn, MDB_dbi records, Message* scratch,
                           Visit visit) {
  absl::StatusOr<Cursor> cursor = Cursor::Open(txn, records);
  if (!cursor.ok()) return cursor.status();
  absl::StatusOr<bool> more = cursor->First();
  for (; more.ok() && *more; more = cursor->Next()) {
    absl::string_view bytes = cursor->value();
    if (!scratch->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat("record '", cursor->key(),
                                              "' does not parse"));
    }
    absl::Status status = visit(cursor->key(), *scratch);
    if (!status.ok()) return status;
  }
  return more.status();
}

}  // namespace

absl::Status Table::RebuildInTxn(MDB_txn* txn,
                                 absl::Span<const Index> indexes) const {
  // Entries are computed from one pass over the records, sorted, and
  // appended: appending in key order fills pages sequentially, which is far
  // cheaper than random inserts into the B+tree.
  std::vector<std::vector<IndexEntry>> entries(indexes.size());
  std::unique_ptr<Message> scratch(prototype_->New());
  IndexEntry entry;
  absl::Status status = ForEachRecord(
      txn, records_, scratch.get(),
      [&](absl::string_view pk, const Message& record) -> absl::Status {
        for (size_t i = 0; i < indexes.size(); ++i) {
          absl::Status s = MakeIndexEntry(record, *indexes[i].schema, pk, &entry);
          if (!s.ok()) return s;
          entries[i].push_back(std::move(entry));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  for (size_t i = 0; i < indexes.size(); ++i) {
    const Index& index = indexes[i];
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_drop(txn, index.dbi, 0),
                                absl::StrCat("clear index ", index.schema->name));
    std::vector<IndexEntry>& list = entries[i];
    std::sort(list.begin(), list.end(), EntryLess);
    for (size_t j = 0; j < list.size(); ++j) {
      if (j > 0 && list[j].key == list[j - 1].key) {
        return absl::AlreadyExistsError(absl::StrCat(
            "unique index '", index.schema->name, "' of ", name(), ": records '",
            list[j - 1].value, "' and '", list[j].value, "' have the same values"));
      }
      status = PutValue(txn, index.dbi, list[j].key, list[j].value, MDB_APPEND);
      if (!status.ok()) return status;
    }
    list.clear();
    list.shrink_to_fit();
  }
  return absl::OkStatus();
}

absl::Status Table::RebuildIndexes() {
  return writer_->SubmitAndWait(
      [this](MDB_txn* txn) { return RebuildInTxn(txn, indexes_); });
}

absl::StatusOr<IndexReport> Table::VerifyIndexes() const {
  absl::StatusOr<Environment::ReadTxn> txn = env_->BeginRead();
  if (!txn.ok()) return txn.status();
  IndexReport report;
  std::vector<std::vector<IndexEntry>> expected(indexes_.size());
  std::unique_ptr<Message> scratch(prototype_->New());
  IndexEntry entry;
  absl::Status status = ForEachRecord(
      txn->get(), records_, scratch.get(),
      [&](absl::string_view pk, const Message& record) -> absl::Status {
        ++report.records;
        for (size_t i = 0; i < indexes_.size(); ++i) {
          absl::Status s = MakeIndexEntry(record, *indexes_[i].schema, pk, &entry);
          if (!s.ok()) return s;
          expected[i].push_back(std::move(entry));
        }
        if (parent_ != nullptr) {
          std::string parent_pk = record.GetReflection()->GetString(
              record, schema_.parent_key.field);
          if (!GetValue(txn->get(), parent_->records_, parent_pk).ok()) {
            report.mismatches.push_back(IndexMismatch{
                IndexMismatch::Kind::kOrphan, indexes_.back().schema->name,
                std::string(pk), absl::CEscape(parent_pk)});
          }
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;

  for (size_t i = 0; i < indexes_.size(); ++i) {
    const Index& index = indexes_[i];
    std::vector<IndexEntry>& want = expected[i];
    std::sort(want.begin(), want.end(), EntryLess);
    auto mismatch = [&](IndexMismatch::Kind kind, absl::string_view key,
                        absl::string_view value) {
      absl::StatusOr<absl::string_view> pk =
          PrimaryKeyOfEntry(*index.schema, key, value);
      report.mismatches.push_back(
          IndexMismatch{kind, index.schema->name,
                        pk.ok() ? std::string(*pk) : "(undecodable)",
                        absl::CHexEscape(key)});
    };
    absl::StatusOr<Cursor> cursor = Cursor::Open(txn->get(), index.dbi);
    if (!cursor.ok()) return cursor.status();
    size_t w = 0;
    absl::StatusOr<bool> more = cursor->First();
    for (; more.ok() && *more; more = cursor->Next()) {
      ++report.entries;
      absl::string_view key = cursor->key();
      while (w < want.size() && want[w].key < key) {
        mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
        ++w;
      }
      if (w < want.size() && want[w].key == key &&
          want[w].value == cursor->value()) {
        ++w;
      } else {
        mismatch(IndexMismatch::Kind::kDangling, key, cursor->value());
        if (w < want.size() && want[w].key == key) {
          mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
          ++w;
        }
      }
    }
    if (!more.ok()) return more.status();
    for (; w < want.size(); ++w) {
      mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
    }
  }
  return report;
}

}  // namespace lmdbapi::storage
