// storage/wire_record.h against reflection, its definition: on random
// records of every field kind, the checks read from a record's bytes agree
// with ValidateRecord and the index entries with RecordEntries::Compute.
#include "storage/wire_record.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "storage/validate.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::AllKinds;
using test::Nested;

TableSchema AllKindsSchema() {
  absl::StatusOr<TableSchema> schema = ResolveTable(testing::AllKindsTable());
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *schema;
}

// Values that make the checks and the encodings work: zero (unset in
// proto3), small, negative, extreme; enum numbers some of which no value
// has; Timestamps some of which are out of range.
class RandomRecords {
 public:
  explicit RandomRecords(uint32_t seed) : rng_(seed) {}

  AllKinds Next() {
    AllKinds r;
    r.set_uuid("k");
    if (Coin()) r.set_i32(static_cast<int32_t>(Int()));
    if (Coin()) r.set_i64(Int());
    if (Coin()) r.set_u32(static_cast<uint32_t>(Int()));
    if (Coin()) r.set_u64(static_cast<uint64_t>(Int()));
    if (Coin()) r.set_s32(static_cast<int32_t>(Int()));
    if (Coin()) r.set_s64(Int());
    if (Coin()) r.set_f32(static_cast<uint32_t>(Int()));
    if (Coin()) r.set_f64(static_cast<uint64_t>(Int()));
    if (Coin()) r.set_sf32(static_cast<int32_t>(Int()));
    if (Coin()) r.set_sf64(Int());
    if (Coin()) r.set_fl(static_cast<float>(Int()) / 3);
    if (Coin()) r.set_db(Coin() ? -0.0 : static_cast<double>(Int()) / 7);
    if (Coin()) r.set_flag(Coin());
    if (Coin()) r.set_text(Text());
    if (Coin()) r.set_blob(Text() + std::string(1, '\0'));
    if (Coin()) r.set_tier(Tier());
    if (Coin()) SetTime(r.mutable_at());
    if (Coin()) r.set_maybe(Coin() ? 0 : Int());
    if (Coin()) r.set_one_text(Coin() ? "" : Text());
    if (Coin()) r.set_one_number(Int());
    for (int n = Pick(3); n > 0; --n) r.add_tiers(Tier());
    for (int n = Pick(3); n > 0; --n)
      (*r.mutable_tier_by_name())[Text()] = Tier();
    if (Coin()) FillNested(r.mutable_nested());
    for (int n = Pick(2); n > 0; --n) FillNested(r.add_nesteds());
    for (int n = Pick(2); n > 0; --n) SetTime(r.add_times());
    return r;
  }

  bool Coin() { return rng_() % 2 == 0; }
  int Pick(int n) { return static_cast<int>(rng_() % (n + 1)); }

 private:
  int64_t Int() {
    switch (rng_() % 5) {
      case 0:
        return 0;
      case 1:
        return static_cast<int64_t>(rng_() % 100);
      case 2:
        return -static_cast<int64_t>(rng_() % 100000) - 1;
      case 3:
        return std::numeric_limits<int64_t>::min() + (rng_() % 3);
      default:
        return static_cast<int64_t>((uint64_t{rng_()} << 32) | rng_());
    }
  }
  std::string Text() { return std::string(rng_() % 4, 'a' + rng_() % 3); }
  test::Tier Tier() { return static_cast<test::Tier>(rng_() % 6); }  // 4, 5
  void SetTime(google::protobuf::Timestamp* t) {
    static constexpr int64_t kSeconds[] = {
        0, 1, -62135596800, -62135596801, 253402300799, 253402300800};
    t->set_seconds(kSeconds[rng_() % 6]);
    t->set_nanos(rng_() % 8 == 0 ? -1 : static_cast<int32_t>(rng_() % 1000));
  }
  void FillNested(Nested* n) {
    if (Coin()) n->set_tier(Tier());
    if (Coin()) SetTime(n->mutable_at());
    if (Coin()) n->mutable_address()->set_city(Text());
    for (int k = Pick(2); k > 0; --k) n->add_tiers(Tier());
  }

  std::mt19937 rng_;
};

void ExpectSameEntries(const TableSchema& schema, const RecordEntries& a,
                       const RecordEntries& b) {
  for (size_t i = 0; i < schema.indexes.size(); ++i) {
    ASSERT_EQ(a.of(i).size(), b.of(i).size()) << schema.indexes[i].name;
    for (size_t e = 0; e < a.of(i).size(); ++e) {
      EXPECT_EQ(a.of(i)[e].key, b.of(i)[e].key) << schema.indexes[i].name;
      EXPECT_EQ(a.of(i)[e].value, b.of(i)[e].value) << schema.indexes[i].name;
    }
  }
}

TEST(WireRecordTest, ChecksAndEntriesAgreeWithReflectionOnRandomRecords) {
  const TableSchema schema = AllKindsSchema();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(schema);
  RandomRecords random(20261202);
  int valid = 0, entries_refused = 0;
  for (int i = 0; i < 5000; ++i) {
    AllKinds record = random.Next();
    const std::string bytes = DeterministicBytes(record);
    const absl::Status checked = ValidateRecord(record);
    ASSERT_EQ(wire->Valid(bytes), checked.ok()) << record.DebugString();
    valid += checked.ok();

    RecordEntries by_reflection, by_wire;
    absl::Status expected = by_reflection.Compute(record, schema.indexes, "k");
    std::optional<absl::Status> got = wire->Entries(bytes, "k", &by_wire);
    ASSERT_TRUE(got.has_value()) << record.DebugString();
    ASSERT_EQ(*got, expected) << record.DebugString();
    entries_refused += !expected.ok();
    if (expected.ok()) ExpectSameEntries(schema, by_reflection, by_wire);
  }
  // Both outcomes were exercised.
  EXPECT_GT(valid, 100);
  EXPECT_LT(valid, 4900);
  EXPECT_GT(entries_refused, 10);  // a Timestamp's nanos out of range
}

TEST(WireRecordTest, SortKeysAgreeWithThePlansOnRandomRecords) {
  const TableSchema schema = AllKindsSchema();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(schema);
  RandomRecords random(20261203);
  int refused = 0;
  for (const IndexSchema& index : schema.indexes) {
    Plan plan;
    plan.order = index.fields;
    for (int i = 0; i < 500; ++i) {
      AllKinds record = random.Next();
      record.set_uuid(absl::StrCat("key-", i));
      const std::string bytes = DeterministicBytes(record);
      absl::StatusOr<std::string> expected =
          plan.SortKeyOf(record, record.uuid());
      std::string key, pk;
      std::optional<absl::Status> got =
          wire->SortKey(bytes, plan.order, &key, &pk);
      ASSERT_TRUE(got.has_value()) << index.name << record.DebugString();
      ASSERT_EQ(*got, expected.status()) << index.name << record.DebugString();
      refused += !expected.ok();
      if (!expected.ok()) continue;
      EXPECT_EQ(key, *expected) << index.name << record.DebugString();
      EXPECT_EQ(pk, record.uuid());
    }
  }
  EXPECT_GT(refused, 10);  // a Timestamp's nanos out of range
}

TEST(WireRecordTest, AnOrderOnANestedFieldIsLeftToTheParsedRecord) {
  const TableSchema schema = AllKindsSchema();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(schema);
  FieldRef nested;
  nested.field = AllKinds::descriptor()->FindFieldByName("nested");
  nested.path.push_back(nested.field);
  std::string key, pk;
  EXPECT_FALSE(
      wire->SortKey(DeterministicBytes(AllKinds()), {nested}, &key, &pk)
          .has_value());
  EXPECT_FALSE(wire->SortKey("\xff", {}, &key, &pk).has_value());
}

TEST(WireRecordTest, UnknownFieldsAParserKeepsNeverChangeTheVerdictOrEntries) {
  const TableSchema schema = AllKindsSchema();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(schema);
  RandomRecords random(7);
  for (int i = 0; i < 2000; ++i) {
    AllKinds record = random.Next();
    google::protobuf::UnknownFieldSet* unknown =
        record.GetReflection()->MutableUnknownFields(&record);
    // What a parser keeps there: a new number, or a known one with a wire
    // type the field does not take (a repeated enum takes both).
    const int number = random.Coin() ? 2 + random.Pick(24) : 100;
    const google::protobuf::FieldDescriptor* field =
        AllKinds::descriptor()->FindFieldByNumber(number);
    if (field != nullptr && field->is_repeated() &&
        field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
      continue;
    }
    const bool delimited =
        field != nullptr &&
        (field->cpp_type() ==
             google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
         field->cpp_type() ==
             google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE);
    if (field == nullptr ? random.Coin() : delimited) {
      unknown->AddVarint(number, static_cast<uint64_t>(random.Pick(9)));
    } else {
      unknown->AddLengthDelimited(number, "\x08\x01");
    }
    const std::string bytes = DeterministicBytes(record);
    // Where the bytes say valid, reflection does too; the bytes may leave
    // the verdict to it.
    if (wire->Valid(bytes)) {
      EXPECT_TRUE(ValidateRecord(record).ok()) << record.DebugString();
    }
    RecordEntries by_reflection, by_wire;
    absl::Status expected = by_reflection.Compute(record, schema.indexes, "k");
    std::optional<absl::Status> got = wire->Entries(bytes, "k", &by_wire);
    if (!got.has_value()) continue;  // left to reflection
    ASSERT_EQ(*got, expected) << record.DebugString();
    if (expected.ok()) ExpectSameEntries(schema, by_reflection, by_wire);
  }
}

TEST(WireRecordTest, IndexesOnNestedOrRepeatedFieldsAreLeftToReflection) {
  TableSpec spec;
  spec.name = "customers";
  spec.descriptor = test::Customer::descriptor();
  spec.primary_key = "uuid";
  spec.indexes = {{"by_city", {"address.city"}}};
  absl::StatusOr<TableSchema> schema = ResolveTable(spec);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(*schema);
  test::Customer customer;
  customer.set_uuid("k");
  customer.mutable_address()->set_city("Albany");
  RecordEntries entries;
  EXPECT_FALSE(
      wire->Entries(DeterministicBytes(customer), "k", &entries).has_value());
  EXPECT_TRUE(wire->Valid(DeterministicBytes(customer)));
}

TEST(WireRecordTest, ARecursiveMessageTypeIsCheckedByReflection) {
  TableSpec spec;
  spec.name = "trees";
  spec.descriptor = test::Tree::descriptor();
  spec.primary_key = "uuid";
  absl::StatusOr<TableSchema> schema = ResolveTable(spec);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(*schema);
  test::Tree tree;
  tree.set_uuid("k");
  tree.mutable_child()->set_tier(test::GOLD);
  EXPECT_FALSE(wire->Valid(DeterministicBytes(tree)));  // ValidateRecord's
  EXPECT_TRUE(ValidateRecord(tree).ok());
}

TEST(WireRecordTest, ARecordThatSetsAVersionFieldIsLeftToReflection) {
  TableSpec spec = testing::AllKindsTable();
  spec.indexes.clear();
  spec.create_time = "at";  // a Timestamp the server keeps
  absl::StatusOr<TableSchema> schema = ResolveTable(spec);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::unique_ptr<const WireRecord> wire = WireRecord::Compile(*schema);
  AllKinds record;
  record.set_uuid("k");
  record.set_text("valid");
  EXPECT_TRUE(wire->Valid(DeterministicBytes(record)));
  record.mutable_at()->set_seconds(1);
  EXPECT_FALSE(wire->Valid(DeterministicBytes(record)));
}

TEST(DeterministicBytesTest, AMapSerializesTheSameWhateverItsInsertionOrder) {
  AllKinds forward, backward;
  for (int i = 0; i < 50; ++i) {
    (*forward.mutable_tier_by_name())[absl::StrCat("k", i)] = test::GOLD;
    (*backward.mutable_tier_by_name())[absl::StrCat("k", 49 - i)] = test::GOLD;
  }
  forward.set_text("same");
  backward.set_text("same");
  const std::string bytes = DeterministicBytes(forward);
  EXPECT_EQ(bytes, DeterministicBytes(backward));
  AllKinds parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.tier_by_name().size(), 50u);
  EXPECT_EQ(parsed.text(), "same");
  EXPECT_EQ(bytes.size(), forward.ByteSizeLong());
  // Each entry's key (field 1, length-delimited) in the keys' sorted order.
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back(absl::StrCat("k", i));
  std::sort(keys.begin(), keys.end());
  size_t last = 0;
  for (const std::string& key : keys) {
    std::string tagged = absl::StrCat("\x0a", std::string(1, key.size()), key);
    size_t at = bytes.find(tagged);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key;
    last = at;
  }
}

}  // namespace
}  // namespace lmdbapi::storage
