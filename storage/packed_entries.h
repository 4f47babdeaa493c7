// Index entries packed for a batch: their keys and values back to back in
// one buffer (no allocation per entry), and the order to put them in. An
// online index build's chunk collects its records' entries in one of these
// per index (storage/index_builder_chunk.cc), and so does an import's batch,
// unsorted, in the order it takes its records (storage/importer_batch.h).
#ifndef LMDBAPI_STORAGE_PACKED_ENTRIES_H_
#define LMDBAPI_STORAGE_PACKED_ENTRIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

class PackedEntries {
 public:
  // Adds an entry of the record whose primary key has `pk_size` bytes.
  void Add(absl::string_view key, absl::string_view value, size_t pk_size);

  // Orders the entries by key, for puts through one cursor. Records added in
  // their key order give a non-unique index (keys tuple(fields) + primary
  // key) entries whose equal fields are in order already: only the distinct
  // fields are sorted then (storage/key_order.h).
  void Sort(bool unique);

  size_t size() const { return refs_.size(); }
  // The keys' and values' bytes together.
  size_t byte_size() const { return bytes_.size(); }
  // The i-th entry: in key order once sorted, else in the order added.
  absl::string_view key(size_t i) const { return KeyOf(order_[i]); }
  absl::string_view value(size_t i) const;

 private:
  struct Ref {
    size_t at;  // in bytes_: the key, then the value
    uint32_t key_size;
    uint32_t value_size;
    uint32_t pk_size;
  };
  absl::string_view KeyOf(size_t added) const;

  std::string bytes_;
  std::vector<Ref> refs_;      // in the order added
  std::vector<size_t> order_;  // refs_ in key order once sorted
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_PACKED_ENTRIES_H_
