// What Table::Prepare reads from a record's own serialization instead of
// through reflection: ValidateRecord's checks (enum values, Timestamps) and
// the record's index entries (RecordEntries::Compute). One scan of the bytes
// costs a fraction of reflection's per-field lookups (bench/instructions,
// docs/BENCHMARKS.md).
//
//   std::unique_ptr<const WireRecord> wire = WireRecord::Compile(schema);
//   std::string bytes = DeterministicBytes(record);
//   if (!wire->Valid(bytes)) return ValidateRecord(record);  // the verdict
//   std::optional<absl::Status> s = wire->Entries(bytes, pk, &entries);
//   if (!s) s = entries.Compute(record, schema.indexes, pk);
//
// The bytes must be the deterministic serialization of a parsed record with
// no version fields set (what Prepare stores): each known field at most
// once and in number order, a proto3 scalar only when set, so that a
// field's presence in the bytes is HasField and its last occurrence its
// value. Reflection stays the definition: where the bytes fail a check or
// do not read as expected, the caller asks the parsed record.
#ifndef LMDBAPI_STORAGE_WIRE_RECORD_H_
#define LMDBAPI_STORAGE_WIRE_RECORD_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "storage/index_key.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

class WireRecord {
 public:
  // The reader of `schema`'s records (which must outlive it).
  static std::unique_ptr<const WireRecord> Compile(const TableSchema& schema);

  // True when `bytes` pass ValidateRecord's checks and set no version field
  // (revision, create_time, update_time: never stored). False when a check
  // fails, when the record sets a version field, when the bytes do not read
  // as expected, or when the record's type nests too deep for the compiled
  // checks: then ValidateRecord decides (and the caller clears the version
  // fields).
  bool Valid(absl::string_view bytes) const;

  // Sets `entries` to the record's entries in each index, or returns an
  // error as RecordEntries::Compute's (a key too long, a Timestamp's nanos
  // out of range). nullopt, with `entries` unspecified, when the bytes do
  // not read as expected or an index needs the parsed record (a field of a
  // nested message, a repeated field, a proto2 enum): then Compute decides.
  std::optional<absl::Status> Entries(absl::string_view bytes,
                                      absl::string_view pk,
                                      RecordEntries* entries) const;

  // The record's primary key (a view of `bytes`): false when the table's
  // key is not a string field of the record, or the bytes do not read as
  // expected (then parse the record). An absent key reads as "".
  bool PrimaryKey(absl::string_view bytes, absl::string_view* pk) const;
  // Canonical `bytes` (storage/canonical_record.h) of a record without a
  // key, with the key `pk` written in its place: canonical too. Only after
  // PrimaryKey read "" from them.
  std::string WithPrimaryKey(absl::string_view bytes,
                             absl::string_view pk) const;

  // The record's primary key, in `pk`, and in `key` what Plan::SortKeyOf
  // gives the parsed record for `order`: the order fields' tuple encoding,
  // then the primary key. The bytes may end with version fields appended
  // (as a Get answers). nullopt when the bytes do not read as expected or
  // an order field is not one that Entries reads: then parse the record.
  std::optional<absl::Status> SortKey(absl::string_view bytes,
                                      const std::vector<FieldRef>& order,
                                      std::string* key, std::string* pk) const;

 private:
  // The checks of one message type: its enum and message fields.
  struct CheckField {
    int number = 0;
    const google::protobuf::EnumDescriptor* enum_type = nullptr;
    bool timestamp = false;
    int message = -1;      // another message type: its node in checks_
    bool version = false;  // a version field of the record: refused
  };
  struct CheckNode {
    std::vector<CheckField> fields;
  };
  // One field an index reads, of the record itself.
  struct Slot {
    const FieldRef* ref = nullptr;
    int number = 0;
    google::protobuf::FieldDescriptor::Type type;
    int wire_type = 0;
  };
  // A slot's occurrence in a record's bytes.
  struct Read {
    bool present = false;
    absl::string_view text;  // length-delimited: string, bytes, Timestamp
    uint64_t raw = 0;        // varint or fixed
  };

  explicit WireRecord(const TableSchema& schema) : schema_(schema) {}
  // Compiles the checks of `type` at nesting `depth`; -1 when too deep.
  int CompileChecks(const google::protobuf::Descriptor* type, int depth);
  bool IsVersionField(const google::protobuf::FieldDescriptor* field) const;
  bool CompileEntries();
  bool Valid(absl::string_view bytes, const CheckNode& node, int depth) const;
  bool ReadSlots(absl::string_view bytes, Read* reads) const;
  // About the size of an entry's key of the fields in `slots`.
  size_t KeySize(const std::vector<size_t>& slots, const Read* reads,
                 absl::string_view pk) const;
  // nullopt when a Timestamp's bytes do not read as one.
  std::optional<absl::Status> AppendSlot(const Slot& slot, const Read& read,
                                         TupleWriter& writer) const;

  const TableSchema& schema_;
  std::vector<CheckNode> checks_;  // checks_[0]: the record; empty: none
  bool entries_ = false;           // whether Entries reads the bytes
  std::vector<Slot> slots_;
  static constexpr size_t kNoSlot = ~size_t{0};
  size_t pk_slot_ = kNoSlot;  // the primary key's slot, if it has one
  // For each index, for each of its fields, its slot.
  std::vector<std::vector<size_t>> index_slots_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_WIRE_RECORD_H_
