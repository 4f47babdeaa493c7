// Index entries: how a record's indexed fields and primary key become one
// LMDB key (and value), and how the primary key is read back from an entry.
//
//   non-unique index   key = tuple(fields) + primary key    value = ""
//   unique index       key = tuple(fields)                  value = primary key
//     (a record that sets none of a unique index's fields is not constrained:
//      its key is tuple(fields) + primary key, its value still the key)
#ifndef LMDBAPI_STORAGE_INDEX_KEY_H_
#define LMDBAPI_STORAGE_INDEX_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

// LMDB's compile-time key limit (mdb_env_get_maxkeysize with default build).
inline constexpr size_t kMaxKeySize = 511;

struct IndexEntry {
  std::string key;
  std::string value;
};

// Builds the entry of `record` in `index`. INVALID_ARGUMENT naming the index
// and its fields when the key would exceed kMaxKeySize.
absl::Status MakeIndexEntry(const google::protobuf::Message& record,
                            const IndexSchema& index, absl::string_view pk,
                            IndexEntry* entry);

// The primary key an index entry points at.
absl::StatusOr<absl::string_view> PrimaryKeyOfEntry(const IndexSchema& index,
                                                    absl::string_view key,
                                                    absl::string_view value);

// The tuple-encoded part of an entry's key (without the primary key).
absl::StatusOr<absl::string_view> FieldsOfEntry(const IndexSchema& index,
                                                absl::string_view key);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_KEY_H_
