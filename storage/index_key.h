// Index entries: how a record's indexed fields and primary key become LMDB
// keys (and values), and how the primary key is read back from an entry.
//
//   non-unique index   key = tuple(fields) + primary key    value = ""
//   unique index       key = tuple(fields)                  value = primary key
//     (a record that sets none of a unique index's fields is not constrained:
//      its key is tuple(fields) + primary key, its value still the key)
//
// A record has one entry in an index of singular fields (a field of a nested
// message reads through its path; an unset message as its defaults). In an
// index on a repeated field it has one entry per distinct element, whose
// tuple holds that element in the field's place, and none while the field is
// empty.
#ifndef LMDBAPI_STORAGE_INDEX_KEY_H_
#define LMDBAPI_STORAGE_INDEX_KEY_H_

#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

// LMDB's compile-time key limit (mdb_env_get_maxkeysize with default build).
inline constexpr size_t kMaxKeySize = 511;

struct IndexEntry {
  std::string key;
  std::string value;
};

// Builds the entry of `record` in `index`, an index of singular fields.
// INVALID_ARGUMENT naming the index and its fields when the key would exceed
// kMaxKeySize.
absl::Status MakeIndexEntry(const google::protobuf::Message& record,
                            const IndexSchema& index, absl::string_view pk,
                            IndexEntry* entry);

// Completes an entry of `index` whose key holds its fields' tuple: appends
// the primary key where the index needs it (`sets_any`: the record sets at
// least one of the index's fields) and sets the value. INVALID_ARGUMENT as
// MakeIndexEntry's when the key is too long.
absl::Status FinishIndexEntry(const IndexSchema& index, absl::string_view pk,
                              bool sets_any, IndexEntry* entry);

// Appends the entries of `record` in `index` (any index) to `entries`,
// sorted by key without duplicates. Errors as MakeIndexEntry's, with nothing
// appended.
absl::Status AppendIndexEntries(const google::protobuf::Message& record,
                                const IndexSchema& index, absl::string_view pk,
                                std::vector<IndexEntry>* entries);

// The entries of one record in each index of its table, in schema order: what
// a write puts, or what it replaces. For the usual record (one entry per
// index) it allocates what one vector of entries did: the vector and the
// entries' keys.
class RecordEntries {
 public:
  // Replaces the entries held with those of `record` in `indexes`.
  absl::Status Compute(const google::protobuf::Message& record,
                       const std::vector<IndexSchema>& indexes,
                       absl::string_view pk);
  // Building the entries index by index elsewhere (storage/wire_record.h):
  // Clear (with room for an entry in each of `indexes`), then for each index
  // in schema order Add its entries (sorted, no duplicates) and EndIndex.
  void Clear(size_t indexes);
  IndexEntry* Add();  // empty
  void EndIndex();

  // The entries in index `i`, sorted by key without duplicates.
  absl::Span<const IndexEntry> of(size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return absl::MakeConstSpan(entries_).subspan(begin, ends_[i] - begin);
  }

 private:
  std::vector<IndexEntry> entries_;
  // Index i's entries are entries_[ends_[i - 1], ends_[i]).
  absl::InlinedVector<uint32_t, 8> ends_;
};

// The primary key an index entry points at.
absl::StatusOr<absl::string_view> PrimaryKeyOfEntry(const IndexSchema& index,
                                                    absl::string_view key,
                                                    absl::string_view value);

// The tuple-encoded part of an entry's key (without the primary key).
absl::StatusOr<absl::string_view> FieldsOfEntry(const IndexSchema& index,
                                                absl::string_view key);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_KEY_H_
