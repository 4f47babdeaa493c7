// What storage/importer.cc and storage/importer_sorted.cc share: a batch
// as the writer applies it, and how a record's refusal reads.
#ifndef LMDBAPI_STORAGE_IMPORTER_BATCH_H_
#define LMDBAPI_STORAGE_IMPORTER_BATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "storage/importer.h"
#include "storage/index_key.h"
#include "storage/packed_entries.h"
#include "storage/status.h"
#include "storage/table.h"

namespace lmdbapi::storage {

// An index entry of a prepared record, its bytes in Batch::entry_bytes.
struct ImportEntry {
  absl::string_view key;
  absl::string_view value;
  size_t record;  // in Batch::prepared
};

// A batch's entries in one index, in the order their records were taken:
// keys and values end to end in one buffer instead of a string each.
struct StreamEntries {
  PackedEntries entries;  // never sorted: key(i) is the i-th taken
  // Record r's entries are entries.key(first[r]) to key(first[r + 1] - 1).
  std::vector<uint32_t> first = {0};
};

struct Importer::Batch {
  Batch(const Table& table, const ImportOptions& options)
      : stream(table.indexes_.size()),
        keep_entries(table.parent_ == &table || options.replace_existing) {}

  // Adds a prepared record: its entries to `stream`, and unless the batch
  // may be applied record by record (ApplyInOrder reads each record's own
  // entries), its own copy of them freed at once, on the thread that made
  // it, where the next record's allocations reuse the memory.
  void Take(Table::Prepared record, uint64_t position) {
    for (size_t u = 0; u < stream.size(); ++u) {
      for (const IndexEntry& e : record.entries.of(u)) {
        stream[u].entries.Add(e.key, e.value, record.pk.size());
      }
      stream[u].first.push_back(
          static_cast<uint32_t>(stream[u].entries.size()));
    }
    if (!keep_entries) record.entries = RecordEntries();
    prepared.push_back(std::move(record));
    positions.push_back(position);
  }

  std::vector<Table::Prepared> prepared;
  std::vector<uint64_t> positions;  // of each prepared record
  // Each index's entries as taken: what Sort orders, and what Decide reads
  // when the batch repeats a key or a unique index's values (else released
  // once sorted).
  std::vector<StreamEntries> stream;
  // Whether each prepared record keeps its own entries: when the table is
  // its own parent or the import replaces stored records, the batch may be
  // applied record by record (ApplySorted's `in_order`).
  const bool keep_entries;
  size_t rejected_before = 0;  // refused while preparing
  bool stops = false;          // a record after the prepared ones was refused
  ImportBatchResult* result = nullptr;
  // Sorted on the caller's thread (Importer::Sort), for the writer's
  // ApplySorted: the records in key order, each index's entries in key order
  // (stable: equal keys in the stream's order), and whether two records share a
  // key or a unique index's values.
  std::vector<size_t> by_key;
  std::vector<std::vector<ImportEntry>> entries;
  // Each index's sorted entries copied end to end, so that the writer reads
  // them in one sweep of memory instead of one cache miss per entry: the
  // copy is made on the caller's thread, while the writer is busy.
  std::vector<std::string> entry_bytes;
  bool repeats = false;
};

inline absl::Status AtRecord(uint64_t position, const absl::Status& status) {
  return At(absl::StrCat("record ", position), status);
}

// A refusal of the record itself, not of the database.
inline bool IsRecordRefusal(const absl::Status& status) {
  return absl::IsAlreadyExists(status) || absl::IsFailedPrecondition(status);
}

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_IMPORTER_BATCH_H_
