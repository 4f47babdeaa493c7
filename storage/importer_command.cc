// An import batch as a command of a replicated shard's log
// (docs/REPLICATION.md):
//   byte 2 (Importer::kCommandFormat), the table's name, byte flags (1:
//   skip_bad, 2: replace_existing), varint records, each record's bytes as
//   the leader prepared them (deterministic serialization, its key set);
// strings length-prefixed (storage/coding.h). Every replica prepares the
// records again, sorts them and applies the batch as the leader does
// (Importer::Apply), so each stores, refuses and numbers the same records.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/coding.h"
#include "storage/importer.h"
#include "storage/importer_batch.h"

namespace lmdbapi::storage {
namespace {

constexpr uint8_t kSkipBad = 1;
constexpr uint8_t kReplaceExisting = 2;

absl::Status Unreadable(absl::string_view why) {
  return absl::DataLossError(absl::StrCat(
      "a replicated import command this replica cannot read (", why, ")"));
}

}  // namespace

std::string Importer::EncodeCommand(const Batch& batch) const {
  std::string out(1, static_cast<char>(kCommandFormat));
  PutLengthPrefixed(table_->name(), &out);
  out.push_back(
      static_cast<char>((options_.skip_bad ? kSkipBad : 0) |
                        (options_.replace_existing ? kReplaceExisting : 0)));
  PutVarint64(batch.prepared.size(), &out);
  for (const Table::Prepared& prepared : batch.prepared) {
    PutLengthPrefixed(prepared.value, &out);
  }
  return out;
}

absl::Status Importer::ApplyCommand(Table* table, MDB_txn* txn,
                                    absl::string_view command) {
  Decoder in(command);
  const uint8_t flags = in.Byte();
  ImportOptions options;
  options.skip_bad = (flags & kSkipBad) != 0;
  options.replace_existing = (flags & kReplaceExisting) != 0;
  Importer importer(table, options);
  ImportBatchResult result;
  Batch batch(*table, options);
  batch.result = &result;
  for (uint64_t n = in.Varint64(); in.ok() && n > 0; --n) {
    std::unique_ptr<google::protobuf::Message> record(table->prototype_->New());
    if (!record->ParseFromString(in.LengthPrefixed())) {
      return Unreadable("a record does not parse");
    }
    absl::StatusOr<Table::Prepared> prepared = table->Prepare(*record);
    if (!prepared.ok()) return Unreadable(prepared.status().message());
    batch.Take(*std::move(prepared), batch.positions.size() + 1);
  }
  if (!in.ok() || !in.rest().empty()) return Unreadable("cut short");
  importer.Sort(batch);
  return importer.Apply(txn, 0, batch);
}

}  // namespace lmdbapi::storage
