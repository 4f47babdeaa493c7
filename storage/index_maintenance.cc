// Index maintenance ("composite index recovery"): rebuilding
// indexes from the records, and verifying that indexes and records agree.
#include <algorithm>
#include <iterator>
#include <memory>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/index_builder.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/table.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Message;

// How Verify names an index it does not check: "by_fee (building)".
std::string NotChecked(const IndexSchema& index, IndexState state) {
  return absl::StrCat(index.name, " (", IndexStateName(state), ")");
}

bool EntryLess(const IndexEntry& a, const IndexEntry& b) {
  return a.key < b.key;
}

// The index entries of every record (several for an index on a repeated
// field), one sorted list per index. Records
// are parsed and their entries computed by up to kWorkers threads over
// slices of the table (the values are read in place from the map, which the
// transaction keeps steady); then each list is sorted.
constexpr size_t kWorkers = 4;
constexpr size_t kRecordsPerWorker = 8192;

absl::Status ComputeEntries(MDB_txn* txn, MDB_dbi records,
                            const Message& prototype,
                            const std::vector<const IndexSchema*>& indexes,
                            std::vector<std::vector<IndexEntry>>* entries,
                            size_t* record_count) {
  std::vector<std::pair<absl::string_view, absl::string_view>> rows;
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, records));
  absl::StatusOr<bool> more = cursor.First();
  for (; more.ok() && *more; more = cursor.Next()) {
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, SplitStored(cursor.value()));
    rows.emplace_back(cursor.key(), stored.bytes);
  }
  LMDBAPI_RETURN_IF_ERROR(more);
  *record_count = rows.size();

  size_t workers = std::min<size_t>(
      {kWorkers, std::max(1u, std::thread::hardware_concurrency()),
       rows.size() / kRecordsPerWorker + 1});
  std::vector<std::vector<std::vector<IndexEntry>>> parts(
      workers, std::vector<std::vector<IndexEntry>>(indexes.size()));
  std::vector<absl::Status> statuses(workers);
  auto work = [&](size_t w) {
    std::unique_ptr<Message> scratch(prototype.New());
    size_t begin = rows.size() * w / workers,
           end = rows.size() * (w + 1) / workers;
    for (auto& list : parts[w]) list.reserve(end - begin);
    for (size_t r = begin; r < end; ++r) {
      auto [pk, bytes] = rows[r];
      if (!scratch->ParseFromArray(bytes.data(),
                                   static_cast<int>(bytes.size()))) {
        statuses[w] = absl::DataLossError(
            absl::StrCat("record '", pk, "' does not parse"));
        return;
      }
      for (size_t i = 0; i < indexes.size(); ++i) {
        absl::Status s =
            AppendIndexEntries(*scratch, *indexes[i], pk, &parts[w][i]);
        if (!s.ok()) {
          statuses[w] = s;
          return;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) {
    threads.emplace_back([&work, w] {
      NameThisThread("index-entries");
      work(w);
    });
  }
  work(0);
  for (auto& t : threads) t.join();
  for (const absl::Status& s : statuses) LMDBAPI_RETURN_IF_ERROR(s);

  entries->assign(indexes.size(), {});
  for (size_t i = 0; i < indexes.size(); ++i) {
    auto& list = (*entries)[i];
    size_t total = 0;
    for (const auto& part : parts) total += part[i].size();
    list.reserve(total);
    for (auto& part : parts) {
      std::move(part[i].begin(), part[i].end(), std::back_inserter(list));
      part[i] = {};
    }
  }
  threads.clear();
  for (size_t i = 1; i < indexes.size(); ++i) {
    threads.emplace_back([list = &(*entries)[i]] {
      NameThisThread("index-sort");
      std::sort(list->begin(), list->end(), EntryLess);
    });
  }
  if (!entries->empty())
    std::sort((*entries)[0].begin(), (*entries)[0].end(), EntryLess);
  for (auto& t : threads) t.join();
  return absl::OkStatus();
}

}  // namespace

absl::Status Table::RebuildInTxn(MDB_txn* txn,
                                 absl::Span<const Index> indexes) const {
  // Appending entries in key order fills pages sequentially, which is far
  // cheaper than random inserts into the B+tree.
  std::vector<const IndexSchema*> schemas;
  for (const Index& index : indexes) schemas.push_back(index.schema);
  std::vector<std::vector<IndexEntry>> entries;
  size_t records = 0;
  LMDBAPI_RETURN_IF_ERROR(
      ComputeEntries(txn, records_, *prototype_, schemas, &entries, &records));
  for (size_t i = 0; i < indexes.size(); ++i) {
    const Index& index = indexes[i];
    LMDBAPI_RETURN_IF_MDB_ERROR(
        mdb_drop(txn, index.dbi, 0),
        absl::StrCat("clear index ", index.schema->name));
    std::vector<IndexEntry>& list = entries[i];
    for (size_t j = 0; j < list.size(); ++j) {
      if (j > 0 && list[j].key == list[j - 1].key) {
        return absl::AlreadyExistsError(
            absl::StrCat("unique index '", index.schema->name, "' of ", name(),
                         ": records '", list[j - 1].value, "' and '",
                         list[j].value, "' have the same values"));
      }
      LMDBAPI_RETURN_IF_ERROR(
          PutValue(txn, index.dbi, list[j].key, list[j].value, MDB_APPEND));
    }
    list.clear();
    list.shrink_to_fit();
  }
  return absl::OkStatus();
}

absl::Status Table::RebuildIndexes() {
  if (builder_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("table ", name(), " has no index builder"));
  }
  LMDBAPI_RETURN_IF_ERROR(builder_->Rebuild(name(), "").status());
  LMDBAPI_RETURN_IF_ERROR(builder_->Wait());
  for (const IndexBuildProgress& build : builder_->Progress()) {
    if (build.table == name() && build.state == IndexState::kFailed) {
      return absl::AlreadyExistsError(absl::StrCat(
          "index ", build.index, " of ", name(), ": ", build.error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<IndexReport> Table::VerifyIndexes() const {
  const std::vector<bool> ready_before = ReadyIndexes();
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  IndexReport report;
  std::vector<const IndexSchema*> ready;  // complete in `txn`
  for (size_t i = 0; i < indexes_.size(); ++i) {
    const IndexState state = index_state(i);
    if (state == IndexState::kReady && WasReady(ready_before, i)) {
      ready.push_back(indexes_[i].schema);
    } else {
      report.skipped.push_back(NotChecked(*indexes_[i].schema, state));
    }
  }
  LMDBAPI_RETURN_IF_ERROR(VerifyIndexesInTxn(
      txn.get(),
      [&](const IndexSchema& index) {
        return std::find(ready.begin(), ready.end(), &index) != ready.end();
      },
      &report));
  return report;
}

absl::Status Table::VerifyIndexesInTxn(
    MDB_txn* txn, absl::FunctionRef<bool(const IndexSchema&)> check,
    IndexReport* report) const {
  std::vector<const Index*> checked;
  std::vector<const IndexSchema*> schemas;
  for (const Index& index : indexes_) {
    if (!check(*index.schema)) continue;
    checked.push_back(&index);
    schemas.push_back(index.schema);
  }
  std::vector<std::vector<IndexEntry>> expected;
  size_t records = 0;
  LMDBAPI_RETURN_IF_ERROR(
      ComputeEntries(txn, records_, *prototype_, schemas, &expected, &records));
  report->records += records;
  if (parent_ != nullptr) LMDBAPI_RETURN_IF_ERROR(CheckParents(txn, report));
  for (size_t i = 0; i < checked.size(); ++i) {
    LMDBAPI_RETURN_IF_ERROR(
        CompareIndex(txn, *checked[i], std::move(expected[i]), report));
  }
  return absl::OkStatus();
}

absl::Status Table::CheckParents(MDB_txn* txn, IndexReport* report) const {
  // Every child's parent must exist.
  std::unique_ptr<Message> scratch(prototype_->New());
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, records_));
  absl::StatusOr<bool> more = cursor.First();
  for (; more.ok() && *more; more = cursor.Next()) {
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, SplitStored(cursor.value()));
    absl::string_view bytes = stored.bytes;
    if (!scratch->ParseFromArray(bytes.data(),
                                 static_cast<int>(bytes.size()))) {
      return absl::DataLossError(
          absl::StrCat("record '", cursor.key(), "' does not parse"));
    }
    std::string parent_pk =
        scratch->GetReflection()->GetString(*scratch, schema_.parent_key.field);
    if (!GetValue(txn, parent_->records_, parent_pk).ok()) {
      report->mismatches.push_back(IndexMismatch{
          IndexMismatch::Kind::kOrphan, indexes_.back().schema->name,
          std::string(cursor.key()), absl::CEscape(parent_pk)});
    }
  }
  return more.status();
}

absl::Status Table::CompareIndex(MDB_txn* txn, const Index& index,
                                 std::vector<IndexEntry> want,
                                 IndexReport* report) const {
  auto mismatch = [&](IndexMismatch::Kind kind, absl::string_view key,
                      absl::string_view value) {
    absl::StatusOr<absl::string_view> pk =
        PrimaryKeyOfEntry(*index.schema, key, value);
    report->mismatches.push_back(IndexMismatch{
        kind, index.schema->name, pk.ok() ? std::string(*pk) : "(undecodable)",
        absl::CHexEscape(key)});
  };
  LMDBAPI_ASSIGN_OR_RETURN(Cursor cursor, Cursor::Open(txn, index.dbi));
  size_t w = 0;
  absl::StatusOr<bool> more = cursor.First();
  for (; more.ok() && *more; more = cursor.Next()) {
    ++report->entries;
    absl::string_view key = cursor.key();
    while (w < want.size() && want[w].key < key) {
      mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
      ++w;
    }
    if (w < want.size() && want[w].key == key &&
        want[w].value == cursor.value()) {
      ++w;
    } else {
      mismatch(IndexMismatch::Kind::kDangling, key, cursor.value());
      if (w < want.size() && want[w].key == key) {
        mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
        ++w;
      }
    }
  }
  LMDBAPI_RETURN_IF_ERROR(more.status());
  for (; w < want.size(); ++w) {
    mismatch(IndexMismatch::Kind::kMissing, want[w].key, want[w].value);
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
