// A record's version (revision, create and update time) written as
// protobuf fields after its stored bytes, as Get and Filter answer it.
#include "storage/record_version.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Customer;

// Customers whose `points` is the server's revision and `joined` its create
// or update time (Customer has one Timestamp field).
TableSchema KeptCustomers(bool joined_is_update) {
  TableSchema table;
  table.name = "customers";
  table.descriptor = Customer::descriptor();
  table.primary_key = {table.descriptor->FindFieldByName("uuid"),
                       FieldKind::kString};
  table.revision = {table.descriptor->FindFieldByName("points"),
                    FieldKind::kInt64};
  FieldRef joined{table.descriptor->FindFieldByName("joined"),
                  FieldKind::kTimestamp};
  (joined_is_update ? table.update_time : table.create_time) = joined;
  return table;
}

// The stored bytes of a record with the version appended parse as the
// record with SetVersionFields applied.
void ExpectAppendedParseAsSet(const TableSchema& table,
                              const RecordVersion& version) {
  Customer record;
  record.set_uuid("c1");
  record.set_name("Ada");
  std::string wire = record.SerializeAsString();
  AppendVersionFields(table, version, &wire);
  Customer parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  Customer expected = record;
  SetVersionFields(table, version, &expected);
  EXPECT_EQ(parsed.SerializeAsString(), expected.SerializeAsString())
      << "revision " << version.revision << ", create " << version.create_micros
      << ", update " << version.update_micros;
}

TEST(RecordVersionTest, AppendedVersionFieldsParseAsTheSetOnes) {
  const RecordVersion versions[] = {
      {0, 0, 0},                                 // written before versions
      {1, 1764567890123456, 1764567890123456},   // now, to the microsecond
      {uint64_t{1} << 40, 1764567890000000, 0},  // whole seconds: no nanos
      {7, 999999, 999999},                       // under a second
      {9, -1500000, -1500000},                   // before 1970, a fraction
      {std::numeric_limits<int64_t>::max(),      // the largest of each
       std::numeric_limits<int64_t>::max(),
       std::numeric_limits<int64_t>::min()},
  };
  for (bool joined_is_update : {false, true}) {
    TableSchema table = KeptCustomers(joined_is_update);
    for (const RecordVersion& version : versions) {
      ExpectAppendedParseAsSet(table, version);
    }
  }
}

TEST(RecordVersionTest, ATableWithoutVersionFieldsAppendsNothing) {
  TableSchema table = KeptCustomers(false);
  table.revision = {};
  table.create_time = {};
  std::string wire = "stored";
  AppendVersionFields(table, {3, 4, 5}, &wire);
  EXPECT_EQ(wire, "stored");
}

}  // namespace
}  // namespace lmdbapi::storage
