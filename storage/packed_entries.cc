#include "storage/packed_entries.h"

#include "storage/key_order.h"

namespace lmdbapi::storage {

void PackedEntries::Add(absl::string_view key, absl::string_view value,
                        size_t pk_size) {
  order_.push_back(refs_.size());
  refs_.push_back(Ref{bytes_.size(), static_cast<uint32_t>(key.size()),
                      static_cast<uint32_t>(value.size()),
                      static_cast<uint32_t>(pk_size)});
  bytes_.append(key.data(), key.size());
  bytes_.append(value.data(), value.size());
}

absl::string_view PackedEntries::KeyOf(size_t added) const {
  const Ref& ref = refs_[added];
  return absl::string_view(bytes_).substr(ref.at, ref.key_size);
}

absl::string_view PackedEntries::value(size_t i) const {
  const Ref& ref = refs_[order_[i]];
  return absl::string_view(bytes_).substr(ref.at + ref.key_size,
                                          ref.value_size);
}

void PackedEntries::Sort(bool unique) {
  auto key = [this](size_t i) { return KeyOf(i); };
  order_ =
      unique ? InKeyOrder(refs_.size(), key)
             : ByFields(refs_.size(), [&](size_t i) {
                 return key(i).substr(0, refs_[i].key_size - refs_[i].pk_size);
               });
}

}  // namespace lmdbapi::storage
