// A chunk's packed index entries come out in key order with their values,
// for a non-unique index (grouped by fields) and a unique one.
#include "storage/packed_entries.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "storage/tuple.h"

namespace lmdbapi::storage {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

std::string Tuple(const std::string& county, int64_t issued) {
  std::string out;
  TupleWriter w(&out);
  w.AppendString(county);
  w.AppendInt64(issued);
  return out;
}

std::string Pk(uint64_t n) {  // grows with n, as UUIDv7 keys do
  std::string pk(16, '\0');
  for (int b = 0; b < 8; ++b) pk[15 - b] = static_cast<char>(n >> (8 * b));
  pk[0] = 0x01;
  return pk;
}

Entries InOrder(const PackedEntries& packed) {
  Entries out;
  for (size_t i = 0; i < packed.size(); ++i) {
    out.emplace_back(std::string(packed.key(i)), std::string(packed.value(i)));
  }
  return out;
}

TEST(PackedEntriesTest, NonUniqueEntriesAddedInRecordOrderComeOutInKeyOrder) {
  const std::vector<std::string> counties = {"Kern", "Alameda", "Kings",
                                             "Alpine", ""};
  std::mt19937_64 rng(7);
  PackedEntries packed;
  Entries want;
  for (uint64_t n = 0; n < 5000; ++n) {  // records in their keys' order
    const std::string key = Tuple(counties[rng() % counties.size()],
                                  static_cast<int64_t>(rng() % 4) - 2) +
                            Pk(n);
    packed.Add(key, "", 16);
    want.emplace_back(key, "");
  }
  packed.Sort(/*unique=*/false);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(InOrder(packed), want);
}

TEST(PackedEntriesTest, UniqueEntriesComeOutInKeyOrderWithTheirValues) {
  std::mt19937_64 rng(11);
  PackedEntries packed;
  Entries want;
  std::set<std::string> seen;
  for (uint64_t n = 0; n < 5000; ++n) {
    // Keys sharing their first 8 bytes, and short ones: past the prefix.
    const std::string key = n % 3 == 0 ? std::string(1, char(rng() % 256))
                                       : "permit-0" + std::to_string(rng());
    if (!seen.insert(key).second) continue;
    packed.Add(key, Pk(n), 16);
    want.emplace_back(key, Pk(n));
  }
  packed.Sort(/*unique=*/true);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(InOrder(packed), want);
}

TEST(PackedEntriesTest, EntriesAreInTheOrderAddedUntilSorted) {
  PackedEntries packed;
  packed.Add("b", "1", 0);
  packed.Add("a", "2", 0);
  EXPECT_EQ(InOrder(packed), (Entries{{"b", "1"}, {"a", "2"}}));
  packed.Sort(/*unique=*/true);
  EXPECT_EQ(InOrder(packed), (Entries{{"a", "2"}, {"b", "1"}}));
}

}  // namespace
}  // namespace lmdbapi::storage
