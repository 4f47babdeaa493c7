// Indexes on repeated fields (one entry per distinct element) and on fields
// of nested messages (dotted paths): every write keeps them, rebuild and
// verify treat them like the others, and a database opened with a new one
// builds it.
#include <lmdb.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/index_key.h"
#include "storage/lmdb.h"
#include "storage/tuple.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Customer;
using test::Permit;

// customers: by_tag [tags], by_city [address.city, points], by_tier [tier,
// balance], by_country_score [address.country, scores]; permits under
// customers (client is the customer's key): by_tag_county [tags, county].
std::vector<TableSpec> CustomerTables() {
  TableSpec customers;
  customers.name = "customers";
  customers.descriptor = Customer::descriptor();
  customers.primary_key = "uuid";
  customers.indexes = {
      {"by_tag", {"tags"}, false},
      {"by_city", {"address.city", "points"}, false},
      {"by_tier", {"tier", "balance"}, false},
      {"by_country_score", {"address.country", "scores"}, false},
  };
  TableSpec permits;
  permits.name = "permits";
  permits.descriptor = Permit::descriptor();
  permits.primary_key = "uuid";
  permits.parent_table = "customers";
  permits.parent_key = "client";
  permits.indexes = {{"by_tag_county", {"tags", "county"}, false}};
  return {customers, permits};
}

std::unique_ptr<Database> Open(const std::string& dir,
                               const std::vector<TableSpec>& tables) {
  DatabaseOptions options;
  options.env.path = dir;
  options.env.map_size_bytes = uint64_t{64} << 20;
  options.env.durability = Durability::kNoSync;
  auto db = Database::Open(options, tables);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

Customer MakeCustomer(const std::string& name,
                      const std::vector<std::string>& tags,
                      const std::string& city, int64_t points) {
  Customer c;
  c.set_name(name);
  for (const std::string& tag : tags) c.add_tags(tag);
  if (!city.empty()) c.mutable_address()->set_city(city);
  c.set_points(points);
  return c;
}

// Every key of the index database `name`, in key order.
std::vector<std::string> Keys(Database& db, const std::string& name) {
  std::vector<std::string> keys;
  auto txn = db.env().BeginRead();
  EXPECT_TRUE(txn.ok()) << txn.status();
  MDB_dbi dbi;
  EXPECT_EQ(mdb_dbi_open(txn->get(), name.c_str(), 0, &dbi), 0) << name;
  auto cursor = Cursor::Open(txn->get(), dbi);
  EXPECT_TRUE(cursor.ok());
  for (absl::StatusOr<bool> more = cursor->First(); more.ok() && *more;
       more = cursor->Next()) {
    keys.emplace_back(cursor->key());
  }
  return keys;
}

// The key of a non-unique entry: the strings' tuple, then the primary key.
std::string StringKey(const std::vector<std::string>& values,
                      const std::string& pk) {
  std::string key;
  TupleWriter writer(&key);
  for (const std::string& v : values) writer.AppendString(v);
  return key + pk;
}

// The entries of `pk` in the index database `name`.
std::vector<std::string> KeysOf(Database& db, const std::string& name,
                                const std::string& pk) {
  std::vector<std::string> mine;
  for (const std::string& key : Keys(db, name)) {
    if (absl::EndsWith(key, pk)) mine.push_back(key);
  }
  return mine;
}

void ExpectConsistent(Table* table) {
  auto report = table->VerifyIndexes();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok())
      << report->mismatches.size() << " mismatches, "
      << (report->ok() ? "" : report->mismatches[0].DebugString());
}

class RepeatedNestedIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open(dir_.path(), CustomerTables());
    ASSERT_NE(db_, nullptr);
    customers_ = db_->table("customers");
    permits_ = db_->table("permits");
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  Table* customers_ = nullptr;
  Table* permits_ = nullptr;
};

TEST_F(RepeatedNestedIndexTest, InsertPutsOneEntryPerDistinctElement) {
  Customer c = MakeCustomer("Ada", {"vip", "early", "vip"}, "Oslo", 7);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_tag"),
            (std::vector<std::string>{StringKey({"early"}, c.uuid()),
                                      StringKey({"vip"}, c.uuid())}));
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, EmptyRepeatedFieldHasNoEntry) {
  Customer c = MakeCustomer("Bo", {}, "Oslo", 1);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  EXPECT_TRUE(Keys(*db_, "customers.idx.by_tag").empty());
  EXPECT_TRUE(Keys(*db_, "customers.idx.by_country_score").empty());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_city").size(), 1u);
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, RepeatedFieldAfterNestedFieldKeysEachElement) {
  Customer c = MakeCustomer("Cy", {}, "Oslo", 1);
  c.mutable_address()->set_country("NO");
  for (int64_t s : {30, 10, 30}) c.add_scores(s);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  std::vector<std::string> want;
  for (int64_t s : {10, 30}) {
    std::string key;
    TupleWriter(&key).AppendString("NO");
    TupleWriter(&key).AppendInt64(s);
    want.push_back(key + c.uuid());
  }
  EXPECT_EQ(Keys(*db_, "customers.idx.by_country_score"), want);
}

TEST_F(RepeatedNestedIndexTest, UnsetNestedMessageIndexesDefaults) {
  Customer c = MakeCustomer("Di", {}, "", 5);  // no address at all
  ASSERT_FALSE(c.has_address());
  ASSERT_TRUE(customers_->Insert(&c).ok());
  std::string key;
  TupleWriter(&key).AppendString("");
  TupleWriter(&key).AppendInt64(5);
  EXPECT_EQ(Keys(*db_, "customers.idx.by_city"),
            std::vector<std::string>{key + c.uuid()});
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, NestedFieldOrdersTheIndex) {
  std::vector<std::pair<std::string, int64_t>> rows = {
      {"Oslo", 3}, {"Bergen", 9}, {"Oslo", 1}, {"Alta", 4}};
  std::vector<std::pair<std::pair<std::string, int64_t>, std::string>> want;
  for (const auto& [city, points] : rows) {
    Customer c = MakeCustomer("x", {}, city, points);
    ASSERT_TRUE(customers_->Insert(&c).ok());
    want.push_back({{city, points}, c.uuid()});
  }
  std::sort(want.begin(), want.end());
  const IndexSchema& by_city = customers_->schema().indexes[1];
  std::vector<std::string> keys = Keys(*db_, "customers.idx.by_city");
  ASSERT_EQ(keys.size(), want.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    auto pk = PrimaryKeyOfEntry(by_city, keys[i], "");
    ASSERT_TRUE(pk.ok()) << pk.status();
    EXPECT_EQ(*pk, want[i].second) << want[i].first.first;
  }
}

TEST_F(RepeatedNestedIndexTest, UpdateRemovesStaleElementsAndAddsNewOnes) {
  Customer c = MakeCustomer("Ed", {"a", "b"}, "Oslo", 1);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  c.clear_tags();
  c.add_tags("b");
  c.add_tags("c");
  c.mutable_address()->set_city("Bergen");
  ASSERT_TRUE(customers_->Update(c).ok());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_tag"),
            (std::vector<std::string>{StringKey({"b"}, c.uuid()),
                                      StringKey({"c"}, c.uuid())}));
  ExpectConsistent(customers_);
  c.clear_tags();
  ASSERT_TRUE(customers_->Update(c).ok());
  EXPECT_TRUE(Keys(*db_, "customers.idx.by_tag").empty());
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, PatchOfRepeatedAndNestedPathsKeepsIndexes) {
  Customer c = MakeCustomer("Flo", {"a"}, "Oslo", 1);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  Customer patch;
  patch.set_uuid(c.uuid());
  patch.add_tags("z");
  patch.add_tags("y");
  patch.mutable_address()->set_city("Tromsø");
  Customer result;
  ASSERT_TRUE(customers_->Patch(patch, {"tags", "address.city"}, &result).ok());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_tag"),
            (std::vector<std::string>{StringKey({"y"}, c.uuid()),
                                      StringKey({"z"}, c.uuid())}));
  std::string city;
  TupleWriter(&city).AppendString("Tromsø");
  ASSERT_EQ(Keys(*db_, "customers.idx.by_city").size(), 1u);
  EXPECT_TRUE(absl::StartsWith(Keys(*db_, "customers.idx.by_city")[0], city));
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, BatchInsertPutsEveryElementOfEveryRecord) {
  Customer a = MakeCustomer("a", {"x", "y"}, "Oslo", 1);
  Customer b = MakeCustomer("b", {"y"}, "Oslo", 2);
  std::vector<google::protobuf::Message*> batch = {&a, &b};
  ASSERT_TRUE(customers_->BatchInsert(batch).ok());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_tag").size(), 3u);
  EXPECT_EQ(KeysOf(*db_, "customers.idx.by_tag", a.uuid()).size(), 2u);
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, DeleteRemovesEveryEntry) {
  Customer keep = MakeCustomer("keep", {"x"}, "Oslo", 1);
  Customer gone = MakeCustomer("gone", {"x", "y", "z"}, "Oslo", 2);
  ASSERT_TRUE(customers_->Insert(&keep).ok());
  ASSERT_TRUE(customers_->Insert(&gone).ok());
  ASSERT_TRUE(customers_->Delete(gone.uuid()).ok());
  EXPECT_EQ(Keys(*db_, "customers.idx.by_tag"),
            std::vector<std::string>{StringKey({"x"}, keep.uuid())});
  EXPECT_EQ(Keys(*db_, "customers.idx.by_city").size(), 1u);
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, ParentDeleteCascadesToChildrenEntries) {
  Customer c = MakeCustomer("Gus", {"x"}, "Oslo", 1);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  for (int n = 0; n < 3; ++n) {
    Permit p;
    p.set_client(c.uuid());
    p.set_county("NY");
    p.add_tags("t" + std::to_string(n));
    p.add_tags("shared");
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  EXPECT_EQ(Keys(*db_, "permits.idx.by_tag_county").size(), 6u);
  ExpectConsistent(permits_);
  ASSERT_TRUE(customers_->Delete(c.uuid()).ok());
  EXPECT_TRUE(Keys(*db_, "permits.idx.by_tag_county").empty());
  EXPECT_TRUE(Keys(*db_, "customers.idx.by_tag").empty());
  ExpectConsistent(permits_);
  ExpectConsistent(customers_);
}

TEST_F(RepeatedNestedIndexTest, VerifyFindsARemovedElementAndRebuildRestores) {
  Customer c = MakeCustomer("Hal", {"a", "b", "c"}, "Oslo", 1);
  ASSERT_TRUE(customers_->Insert(&c).ok());
  std::string victim = StringKey({"b"}, c.uuid());
  ASSERT_TRUE(db_->writer()
                  .SubmitAndWait([&](MDB_txn* txn) -> absl::Status {
                    MDB_dbi dbi;
                    if (mdb_dbi_open(txn, "customers.idx.by_tag", 0, &dbi)) {
                      return absl::InternalError("open");
                    }
                    return DeleteKey(txn, dbi, victim);
                  })
                  .ok());
  auto report = customers_->VerifyIndexes();
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->mismatches.size(), 1u);
  EXPECT_EQ(report->mismatches[0].kind, IndexMismatch::Kind::kMissing);
  EXPECT_EQ(report->mismatches[0].index, "by_tag");
  EXPECT_EQ(report->mismatches[0].primary_key, c.uuid());

  ASSERT_TRUE(customers_->RebuildIndexes().ok());
  EXPECT_EQ(KeysOf(*db_, "customers.idx.by_tag", c.uuid()).size(), 3u);
  ExpectConsistent(customers_);
}

TEST(RepeatedNestedIndexOpenTest, ExistingDatabaseBuildsNewIndexesOnOpen) {
  lmdbapi::testing::TempDir dir;
  std::vector<TableSpec> before = CustomerTables();
  before[0].indexes = {{"by_tier", {"tier", "balance"}, false}};
  std::string pk;
  {
    auto db = Open(dir.path(), before);
    ASSERT_NE(db, nullptr);
    Customer c = MakeCustomer("Ivy", {"p", "q"}, "Oslo", 3);
    ASSERT_TRUE(db->table("customers")->Insert(&c).ok());
    pk = c.uuid();
  }
  auto db = Open(dir.path(), CustomerTables());
  ASSERT_NE(db, nullptr);
  const std::vector<std::string>& log = db->open_log();
  ASSERT_TRUE(db->WaitForIndexBuilds().ok());
  for (const char* built : {"building index customers.idx.by_tag v1 (tags:3",
                            "building index customers.idx.by_city v1 "
                            "(address:4.city:2:string,points:7"}) {
    EXPECT_TRUE(std::any_of(
        log.begin(), log.end(),
        [&](const std::string& line) { return absl::StartsWith(line, built); }))
        << built;
  }
  EXPECT_EQ(KeysOf(*db, "customers.idx.by_tag", pk).size(), 2u);
  EXPECT_EQ(KeysOf(*db, "customers.idx.by_city", pk).size(), 1u);
  ExpectConsistent(db->table("customers"));
}

TEST(RepeatedNestedIndexOpenTest, ChangedPathIsRebuiltOnOpen) {
  lmdbapi::testing::TempDir dir;
  std::vector<TableSpec> before = CustomerTables();
  before[0].indexes[1].fields = {"address.country", "points"};
  { ASSERT_NE(Open(dir.path(), before), nullptr); }
  auto db = Open(dir.path(), CustomerTables());
  ASSERT_NE(db, nullptr);
  std::vector<std::string> log = db->open_log();
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const std::string& line) {
                            return absl::StartsWith(line, "buil");
                          }),
            1)
      << "only by_city changed";
}

TEST(RepeatedNestedIndexSchemaTest, DefinitionNamesPathsAndRepeatedFields) {
  auto schemas = ResolveSchema(CustomerTables());
  ASSERT_TRUE(schemas.ok()) << schemas.status();
  const std::vector<IndexSchema>& indexes = (*schemas)[0].indexes;
  EXPECT_EQ(indexes[0].Definition(), "v1 (tags:3:string[])");
  EXPECT_EQ(indexes[1].Definition(),
            "v1 (address:4.city:2:string,points:7:signed integer)");
  // A field of the record keeps the text it had before paths existed.
  EXPECT_EQ(indexes[2].Definition(),
            "v1 (tier:5:signed integer,balance:6:floating point)");
  EXPECT_EQ(indexes[0].RepeatedField(), 0);
  EXPECT_EQ(indexes[3].RepeatedField(), 1);
  EXPECT_EQ(indexes[1].RepeatedField(), -1);
}

TEST(RepeatedNestedIndexSchemaTest, RefusesBadPathsNamingMessageAndPath) {
  auto expect_error = [](std::vector<std::string> fields, bool unique,
                         const std::string& needle) {
    std::vector<TableSpec> specs = CustomerTables();
    specs[0].indexes = {{"bad", std::move(fields), unique}};
    auto resolved = ResolveSchema(specs);
    ASSERT_FALSE(resolved.ok()) << needle;
    EXPECT_NE(resolved.status().message().find(needle), std::string::npos)
        << resolved.status();
    EXPECT_NE(resolved.status().message().find("message Customer"),
              std::string::npos)
        << resolved.status();
  };
  expect_error({"tags"}, true,
               "field 'tags': index 'bad' is unique and the field is repeated");
  expect_error({"tags", "scores"}, false,
               "field 'scores': index 'bad' already holds the repeated field "
               "'tags'; an index can hold one repeated field, not parallel "
               "arrays");
  expect_error({"address.town"}, false,
               "field 'address.town': index 'bad': message "
               "lmdbapi.test.Address has no field 'town'");
  expect_error({"name.first"}, false,
               "field 'name.first': index 'bad': 'name' is not a message "
               "field");
  expect_error({"address"}, false,
               "field 'address': index 'bad': the field's type "
               "(lmdbapi.test.Address) cannot be indexed");
}

TEST(RepeatedNestedIndexSchemaTest, UniqueNestedFieldConstrainsOnlySetValues) {
  lmdbapi::testing::TempDir dir;
  std::vector<TableSpec> specs = CustomerTables();
  specs[0].indexes = {{"by_street", {"address.street"}, true}};
  auto db = Open(dir.path(), specs);
  ASSERT_NE(db, nullptr);
  Table* customers = db->table("customers");
  Customer a, b, c, d;  // a and b: no address, so unconstrained
  ASSERT_TRUE(customers->Insert(&a).ok());
  ASSERT_TRUE(customers->Insert(&b).ok());
  c.mutable_address()->set_street("Main St 1");
  d.mutable_address()->set_street("Main St 1");
  ASSERT_TRUE(customers->Insert(&c).ok());
  absl::Status clash = customers->Insert(&d);
  EXPECT_TRUE(absl::IsAlreadyExists(clash)) << clash;
  EXPECT_NE(clash.message().find("field 'address.street'"), std::string::npos)
      << clash;
  ExpectConsistent(customers);
}

}  // namespace
}  // namespace lmdbapi::storage
