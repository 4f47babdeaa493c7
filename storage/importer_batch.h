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
#include "storage/status.h"
#include "storage/table.h"

namespace lmdbapi::storage {

// An index entry of a prepared record, its bytes in Batch::entry_bytes.
struct ImportEntry {
  absl::string_view key;
  absl::string_view value;
  size_t record;  // in Batch::prepared
};

struct Importer::Batch {
  std::vector<Table::Prepared> prepared;
  std::vector<uint64_t> positions;  // of each prepared record
  size_t rejected_before = 0;       // refused while preparing
  bool stops = false;  // a record after the prepared ones was refused
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
