// Orders of a batch of keys, for putting them through a cursor in key order
// (LMDB's cursor skips the descent from the root when the next key falls in
// the page it is at). Used by imports (storage/importer_sorted.cc) and by
// online index builds (storage/index_builder_chunk.cc).
#ifndef LMDBAPI_STORAGE_KEY_ORDER_H_
#define LMDBAPI_STORAGE_KEY_ORDER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {
namespace key_order_internal {

// A key to sort by, its first 8 bytes read big-endian so that most
// comparisons are one of integers.
struct SortKey {
  uint64_t prefix;
  absl::string_view key;
  size_t item;

  SortKey(absl::string_view k, size_t i) : prefix(0), key(k), item(i) {
    for (size_t b = 0; b < 8; ++b) {
      prefix = (prefix << 8) | (b < k.size() ? static_cast<uint8_t>(k[b]) : 0);
    }
  }
  // By key, equal keys in item order.
  bool operator<(const SortKey& o) const {
    if (prefix != o.prefix) return prefix < o.prefix;
    int c = key.compare(o.key);
    return c != 0 ? c < 0 : item < o.item;
  }
};

}  // namespace key_order_internal

// 0..n-1 ordered by key_of(i), equal keys in index order; left as they are
// when already in order (keys the server made, UUIDv7, grow).
template <typename KeyOf>
std::vector<size_t> InKeyOrder(size_t n, KeyOf key_of) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  bool sorted = true;
  for (size_t i = 1; sorted && i < n; ++i) sorted = key_of(i - 1) < key_of(i);
  if (sorted) return order;
  std::vector<key_order_internal::SortKey> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.emplace_back(key_of(i), i);
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < n; ++i) order[i] = keys[i].item;
  return order;
}

// 0..n-1 ordered by fields_of(i), equal fields in index order: the entries
// of a non-unique index, whose keys are tuple(fields) + primary key, visited
// in their primary keys' order. Tuples are prefix-free, so that is their
// keys' order. Entries with equal fields are grouped (a hash each, their
// order kept) and only the distinct fields are sorted: a batch has far fewer
// of them than entries (the example's county and status: 32 for 65,536), and
// a sort of the keys compared the primary keys' bytes at every tie (a
// batch's UUIDv7 keys begin with the same timestamp).
template <typename FieldsOf>
std::vector<size_t> ByFields(size_t n, FieldsOf fields_of) {
  absl::flat_hash_map<absl::string_view, uint32_t> group_of;
  std::vector<absl::string_view> fields;  // of each group
  std::vector<uint32_t> group(n);
  for (size_t i = 0; i < n; ++i) {
    auto [it, added] = group_of.try_emplace(
        fields_of(i), static_cast<uint32_t>(fields.size()));
    if (added) fields.push_back(it->first);
    group[i] = it->second;
  }
  std::vector<size_t> groups =
      InKeyOrder(fields.size(), [&](size_t g) { return fields[g]; });
  std::vector<size_t> size(fields.size(), 0);  // entries of each group
  for (uint32_t g : group) ++size[g];
  std::vector<size_t> at(fields.size());  // where each group's next goes
  size_t next = 0;
  for (size_t g : groups) {
    at[g] = next;
    next += size[g];
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[at[group[i]]++] = i;
  return order;
}

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_KEY_ORDER_H_
