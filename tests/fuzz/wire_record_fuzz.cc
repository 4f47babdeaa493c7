// libFuzzer: any bytes that parse as a test::AllKinds record (every field
// type an index reads, enums, Timestamps, nested and repeated messages,
// maps), prepared as Table::Prepare prepares it. What storage/wire_record.h
// reads from the record's serialization never contradicts reflection, its
// definition: where the bytes say the checks pass, ValidateRecord says so;
// where they give the index entries, RecordEntries::Compute gives the same
// entries (or the same error), and where they give a sort key in an index's
// order, Plan::SortKeyOf gives the same key (or the same error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "storage/coding.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "storage/validate.h"
#include "storage/wire_record.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace {

using lmdbapi::storage::RecordEntries;
using lmdbapi::storage::TableSchema;

const TableSchema& Schema() {
  static const TableSchema* schema = [] {
    auto resolved =
        lmdbapi::storage::ResolveTable(lmdbapi::testing::AllKindsTable());
    if (!resolved.ok()) std::abort();
    return new TableSchema(*std::move(resolved));
  }();
  return *schema;
}

bool SameEntries(const RecordEntries& a, const RecordEntries& b) {
  for (size_t i = 0; i < Schema().indexes.size(); ++i) {
    if (a.of(i).size() != b.of(i).size()) return false;
    for (size_t e = 0; e < a.of(i).size(); ++e) {
      if (a.of(i)[e].key != b.of(i)[e].key ||
          a.of(i)[e].value != b.of(i)[e].value) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<const lmdbapi::storage::WireRecord> wire =
      lmdbapi::storage::WireRecord::Compile(Schema());
  lmdbapi::test::AllKinds record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Prepare reads a record with unknown fields by reflection.
  if (!record.GetReflection()->GetUnknownFields(record).empty()) return 0;
  const std::string bytes = lmdbapi::storage::DeterministicBytes(record);
  if (wire->Valid(bytes) && !lmdbapi::storage::ValidateRecord(record).ok()) {
    std::abort();  // the bytes passed a record reflection refuses
  }
  RecordEntries by_reflection, by_wire;
  absl::Status expected =
      by_reflection.Compute(record, Schema().indexes, record.uuid());
  std::optional<absl::Status> got =
      wire->Entries(bytes, record.uuid(), &by_wire);
  if (!got.has_value()) return 0;  // left to reflection
  if (*got != expected) std::abort();
  if (expected.ok() && !SameEntries(by_reflection, by_wire)) std::abort();
  for (const lmdbapi::storage::IndexSchema& index : Schema().indexes) {
    lmdbapi::storage::Plan plan;
    plan.order = index.fields;
    absl::StatusOr<std::string> key = plan.SortKeyOf(record, record.uuid());
    std::string wire_key, pk;
    std::optional<absl::Status> read =
        wire->SortKey(bytes, plan.order, &wire_key, &pk);
    if (!read.has_value()) continue;  // left to the parsed record
    if (*read != key.status()) std::abort();
    if (key.ok() && (wire_key != *key || pk != record.uuid())) std::abort();
  }
  return 0;
}
