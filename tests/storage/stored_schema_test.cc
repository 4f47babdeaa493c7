// The data directory records its schema: read back with no .proto at hand
// (custom options included), checked at every open against the schema
// given (incompatible changes refused with their reason, nothing written;
// compatible ones opened), and a read-only open that writes nothing.
#include "storage/stored_schema.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "model/model.h"
#include "proto/examples/permits.pb.h"
#include "proto/lmdbapi/options.pb.h"
#include "storage/database.h"
#include "tests/schemas/customers.pb.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptorProto;
using lmdbapi::testing::MakePermit;
using lmdbapi::testing::TempDir;

// Every file of `dir` and a hash of its bytes.
std::map<std::string, size_t> Files(const std::string& dir) {
  std::map<std::string, size_t> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out[entry.path().filename().string()] =
        std::hash<std::string>()(bytes.str());
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Database>> OpenWith(
    const std::string& dir, const std::vector<TableSpec>& tables,
    bool read_only = false) {
  DatabaseOptions options;
  options.env.path = dir;
  options.env.map_size_bytes = uint64_t{64} << 20;
  options.env.durability = Durability::kNoSync;
  options.read_only = read_only;
  return Database::Open(options, tables);
}

// A directory with permits, one inspection and no notes.
void Fill(const std::string& dir) {
  auto db = lmdbapi::testing::OpenPermitDb(dir);
  test::Permit p = MakePermit("Acme", "NY", test::PENDING, 100);
  p.set_permit_number("P-1");
  ASSERT_TRUE(db->table("permits")->Insert(&p).ok());
  test::Inspection i;
  i.set_permit_uuid(p.uuid());
  i.set_inspector("Ann");
  ASSERT_TRUE(db->table("inspections")->Insert(&i).ok());
}

// PermitTables() with their messages from a copy of test_records.proto that
// `edit` changed, in a pool of their own; then `edit_tables`.
struct Edited {
  std::unique_ptr<DescriptorPool> pool;
  std::vector<TableSpec> tables;
};
Edited EditPermitTables(
    const std::function<void(FileDescriptorProto&)>& edit,
    const std::function<void(std::vector<TableSpec>&)>& edit_tables = {}) {
  Edited out;
  out.pool = std::make_unique<DescriptorPool>();
  FileDescriptorProto timestamp, records;
  google::protobuf::Timestamp::descriptor()->file()->CopyTo(&timestamp);
  test::Permit::descriptor()->file()->CopyTo(&records);
  edit(records);
  EXPECT_NE(out.pool->BuildFile(timestamp), nullptr);
  EXPECT_NE(out.pool->BuildFile(records), nullptr);
  out.tables = lmdbapi::testing::PermitTables();
  for (TableSpec& t : out.tables) {
    t.descriptor = out.pool->FindMessageTypeByName(t.descriptor->full_name());
  }
  if (edit_tables) edit_tables(out.tables);
  return out;
}

google::protobuf::DescriptorProto* Message(FileDescriptorProto& file,
                                           const std::string& name) {
  for (auto& m : *file.mutable_message_type()) {
    if (m.name() == name) return &m;
  }
  ADD_FAILURE() << "no message " << name;
  return nullptr;
}

FieldDescriptorProto* Field(FileDescriptorProto& file, const std::string& msg,
                            const std::string& name) {
  for (auto& f : *Message(file, msg)->mutable_field()) {
    if (f.name() == name) return &f;
  }
  ADD_FAILURE() << "no field " << name;
  return nullptr;
}

// Opening `dir` (Fill()ed) with `edited` is refused, naming `expected`
// pieces, and leaves every byte of the data as it was (lock.mdb, LMDB's
// shared memory, is set up by any open for writing).
void ExpectRefused(const Edited& edited,
                   const std::vector<std::string>& expected) {
  TempDir dir;
  Fill(dir.path());
  auto before = Files(dir.path())["data.mdb"];
  auto db = OpenWith(dir.path(), edited.tables);
  ASSERT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition)
      << db.status();
  for (const std::string& piece : expected) {
    EXPECT_NE(db.status().message().find(piece), std::string::npos)
        << "missing '" << piece << "' in: " << db.status().message();
  }
  EXPECT_EQ(Files(dir.path())["data.mdb"], before);
  // The schema it was written with still opens it.
  EXPECT_TRUE(OpenWith(dir.path(), lmdbapi::testing::PermitTables()).ok());
}

void ExpectAccepted(const Edited& edited) {
  TempDir dir;
  Fill(dir.path());
  {
    auto db = OpenWith(dir.path(), edited.tables);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(*(*db)->table("permits")->Count(), 1u);
    auto verified = (*db)->Verify();
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_TRUE(verified->ok()) << verified->mismatches[0];
  }
  // It is now the recorded schema.
  auto stored = ReadStoredSchema(dir.path());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->tables.size(), edited.tables.size());
}

TEST(StoredSchemaTest, HandWrittenTablesReadBackWithTheirRecords) {
  TempDir dir;
  Fill(dir.path());
  auto stored = ReadStoredSchema(dir.path());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->file->name(), "tests/storage/test_records.proto");
  EXPECT_NE(stored->pool.get(), DescriptorPool::generated_pool());
  std::vector<TableSpec> want = lmdbapi::testing::PermitTables();
  ASSERT_EQ(stored->tables.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const TableSpec& got = stored->tables[i];
    EXPECT_EQ(got.name, want[i].name);
    EXPECT_EQ(got.descriptor->full_name(), want[i].descriptor->full_name());
    EXPECT_EQ(got.descriptor->file()->pool(), stored->pool.get());
    EXPECT_EQ(got.primary_key, want[i].primary_key);
    EXPECT_EQ(got.parent_table, want[i].parent_table);
    EXPECT_EQ(got.parent_key, want[i].parent_key);
    ASSERT_EQ(got.indexes.size(), want[i].indexes.size());
    for (size_t j = 0; j < want[i].indexes.size(); ++j) {
      EXPECT_EQ(got.indexes[j].name, want[i].indexes[j].name);
      EXPECT_EQ(got.indexes[j].fields, want[i].indexes[j].fields);
      EXPECT_EQ(got.indexes[j].unique, want[i].indexes[j].unique);
    }
  }
  // The stored schema opens the directory read-only and reads its records
  // as dynamic messages.
  auto db = OpenWith(dir.path(), stored->tables, /*read_only=*/true);
  ASSERT_TRUE(db.ok()) << db.status();
  std::unique_ptr<google::protobuf::Message> record(
      stored->factory->GetPrototype(stored->tables[0].descriptor)->New());
  Query all;
  auto page =
      (*db)->table("permits")->Filter(all, [&] { return record.get(); });
  ASSERT_TRUE(page.ok()) << page.status();
  const auto* client = record->GetDescriptor()->FindFieldByName("client");
  EXPECT_EQ(record->GetReflection()->GetString(*record, client), "Acme");
}

// A schema compiled by protoc-gen-lmdbapi's rules is stored as compiled:
// its (lmdbapi.table) and (lmdbapi.field) custom options are there to read.
void ExpectStoredAsCompiled(const google::protobuf::FileDescriptor* file,
                            const std::string& table) {
  auto model = model::ModelOf(file);
  ASSERT_TRUE(model.ok()) << model.status();
  TempDir dir;
  {
    auto db = OpenWith(dir.path(), model->declarations);
    ASSERT_TRUE(db.ok()) << db.status();
  }
  auto stored = ReadStoredSchema(dir.path());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->file->name(), file->name());
  FileDescriptorProto compiled, read_back;
  file->CopyTo(&compiled);
  stored->file->CopyTo(&read_back);
  EXPECT_EQ(read_back.SerializeAsString(), compiled.SerializeAsString());
  ASSERT_EQ(stored->tables.size(), model->declarations.size());
  const google::protobuf::Descriptor* message = nullptr;
  for (const TableSpec& t : stored->tables) {
    if (t.name == table) message = t.descriptor;
  }
  ASSERT_NE(message, nullptr);
  const lmdbapi::Table& option =
      message->options().GetExtension(lmdbapi::table);
  EXPECT_EQ(option.collection(), table);
  EXPECT_GT(option.indexes_size(), 0);
  bool has_key = false;
  for (int f = 0; f < message->field_count(); ++f) {
    has_key |=
        message->field(f)->options().GetExtension(lmdbapi::field).primary_key();
  }
  EXPECT_TRUE(has_key);
}

TEST(StoredSchemaTest, ExampleSchemaKeepsItsCustomOptions) {
  ExpectStoredAsCompiled(examples::permits::Permit::descriptor()->file(),
                         "permits");
}

TEST(StoredSchemaTest, NestedIndexSchemaKeepsItsCustomOptions) {
  ExpectStoredAsCompiled(acme::customers::Customer::descriptor()->file(),
                         "customers");
}

TEST(StoredSchemaTest, ReadingADirectoryWithoutDatabaseIsNotFound) {
  TempDir dir;
  EXPECT_EQ(ReadStoredSchema(dir.path()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadStoredSchema(dir.path() + "/none").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SchemaChangeTest, FieldTypeChangeIsRefused) {
  ExpectRefused(EditPermitTables([](FileDescriptorProto& f) {
                  Field(f, "Permit", "fee_cents")
                      ->set_type(FieldDescriptorProto::TYPE_STRING);
                }),
                {"tests/storage/test_records.proto", "table 'permits'",
                 "lmdbapi.test.Permit", "field 'fee_cents' (number 8)",
                 "from int64 to string", "add a new field with a new number",
                 "import it into a new data directory"});
}

TEST(SchemaChangeTest, CardinalityChangeIsRefused) {
  ExpectRefused(
      EditPermitTables([](FileDescriptorProto& f) {
        Field(f, "Permit", "description")
            ->set_label(FieldDescriptorProto::LABEL_REPEATED);
      }),
      {"field 'description' (number 14)", "from string to repeated string"});
}

TEST(SchemaChangeTest, RenamedAndRetypedFieldNamesBoth) {
  ExpectRefused(
      EditPermitTables([](FileDescriptorProto& f) {
        auto* field = Field(f, "Permit", "fee_cents");
        field->set_name("fee");
        field->set_type(FieldDescriptorProto::TYPE_DOUBLE);
      }),
      {"field 'fee' (number 8, was 'fee_cents')", "from int64 to double"});
}

TEST(SchemaChangeTest, PrimaryKeyChangeIsRefused) {
  ExpectRefused(
      EditPermitTables([](FileDescriptorProto&) {},
                       [](std::vector<TableSpec>& t) {
                         t[0].primary_key = "permit_number";
                         t[0].indexes.pop_back();  // by_number(permit_number)
                       }),
      {"table 'permits'",
       "primary key changed from 'uuid' (number 1) to 'permit_number' "
       "(number 2)"});
}

TEST(SchemaChangeTest, ParentLinkChangeIsRefused) {
  ExpectRefused(EditPermitTables([](FileDescriptorProto&) {},
                                 [](std::vector<TableSpec>& t) {
                                   t[1].parent_table.clear();
                                   t[1].parent_key.clear();
                                 }),
                {"table 'inspections'",
                 "parent changed from permits by 'permit_uuid' (number 2) "
                 "to none (a main table)"});
}

TEST(SchemaChangeTest, DroppingATableThatHoldsRecordsIsRefused) {
  ExpectRefused(
      EditPermitTables([](FileDescriptorProto&) {},
                       [](std::vector<TableSpec>& t) {
                         t.pop_back();  // notes
                         t.pop_back();  // inspections: 1 record
                       }),
      {"table 'inspections'", "holds 1 records", "no longer declares it",
       "declare it again", "--table=inspections"});
}

TEST(SchemaChangeTest, NestedFieldTypeChangeIsRefused) {
  TempDir dir;
  TableSpec customers;
  customers.name = "customers";
  customers.descriptor = test::Customer::descriptor();
  customers.primary_key = "uuid";
  {
    auto db = OpenWith(dir.path(), {customers});
    ASSERT_TRUE(db.ok()) << db.status();
    test::Customer c;
    c.mutable_address()->set_city("Oslo");
    ASSERT_TRUE((*db)->table("customers")->Insert(&c).ok());
  }
  DescriptorPool pool;
  FileDescriptorProto timestamp, records;
  google::protobuf::Timestamp::descriptor()->file()->CopyTo(&timestamp);
  test::Customer::descriptor()->file()->CopyTo(&records);
  Field(records, "Address", "city")->set_type(FieldDescriptorProto::TYPE_BYTES);
  ASSERT_NE(pool.BuildFile(timestamp), nullptr);
  ASSERT_NE(pool.BuildFile(records), nullptr);
  customers.descriptor = pool.FindMessageTypeByName("lmdbapi.test.Customer");
  auto db = OpenWith(dir.path(), {customers});
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find(
                "field 'address.city' (number 2): its type changed from "
                "string to bytes"),
            std::string::npos)
      << db.status();
}

TEST(SchemaChangeTest, NewFieldIsAccepted) {
  ExpectAccepted(EditPermitTables([](FileDescriptorProto& f) {
    FieldDescriptorProto* added = Message(f, "Permit")->add_field();
    added->set_name("zoning");
    added->set_number(40);
    added->set_type(FieldDescriptorProto::TYPE_STRING);
    added->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
  }));
}

TEST(SchemaChangeTest, RemovedFieldIsAccepted) {
  ExpectAccepted(EditPermitTables([](FileDescriptorProto& f) {
    auto* fields = Message(f, "Permit")->mutable_field();
    fields->erase(fields->end() - 1);  // description
  }));
}

TEST(SchemaChangeTest, RenamedFieldWithItsNumberAndTypeIsAccepted) {
  ExpectAccepted(EditPermitTables(
      [](FileDescriptorProto& f) {
        Field(f, "Permit", "client")->set_name("owner");
      },
      [](std::vector<TableSpec>& t) {
        t[0].indexes[0].fields = {"owner", "county", "status"};
      }));
}

TEST(SchemaChangeTest, NewTableAndChangedIndexesAreAccepted) {
  ExpectAccepted(EditPermitTables(
      [](FileDescriptorProto&) {},
      [](std::vector<TableSpec>& t) {
        t[0].indexes.erase(t[0].indexes.begin() + 1);              // by_issued
        t[0].indexes.push_back({"by_fee", {"fee_cents"}, false});  // new
        t[1].indexes[0].fields = {"passed", "inspector"};          // changed
        TableSpec customers;
        customers.name = "customers";
        customers.descriptor =
            t[0].descriptor->file()->FindMessageTypeByName("Customer");
        customers.primary_key = "uuid";
        t.push_back(customers);
      }));
}

TEST(SchemaChangeTest, DroppedEmptyTableAndChangesToEmptyTablesAreAccepted) {
  ExpectAccepted(EditPermitTables(
      [](FileDescriptorProto& f) {
        // notes holds no records: any change to it is harmless.
        Field(f, "InspectionNote", "text")
            ->set_type(FieldDescriptorProto::TYPE_INT64);
      },
      [](std::vector<TableSpec>& t) { t[2].primary_key = "inspection_uuid"; }));
  ExpectAccepted(EditPermitTables([](FileDescriptorProto&) {},
                                  [](std::vector<TableSpec>& t) {
                                    t.pop_back();  // notes, empty
                                  }));
}

TEST(ReadOnlyTest, ReadsWithoutChangingAByteAndRefusesWrites) {
  TempDir dir;
  Fill(dir.path());
  auto before = Files(dir.path());
  {
    auto db = OpenWith(dir.path(), lmdbapi::testing::PermitTables(), true);
    ASSERT_TRUE(db.ok()) << db.status();
    Table* permits = (*db)->table("permits");
    EXPECT_EQ(*permits->Count(), 1u);
    test::Permit p = MakePermit("Bolt", "CA", test::PENDING);
    absl::Status inserted = permits->Insert(&p);
    EXPECT_EQ(inserted.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(inserted.message().find("read-only"), std::string::npos);
    auto stat = (*db)->Stat();
    ASSERT_TRUE(stat.ok()) << stat.status();
    EXPECT_EQ(stat->tables[0].records, 1u);
    EXPECT_EQ(stat->tables[1].records, 1u);
    EXPECT_EQ(stat->revision, 2u);
    auto verified = (*db)->Verify();
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_TRUE(verified->ok());
    EXPECT_EQ(verified->records, 2u);
    EXPECT_TRUE(ReadStoredSchema(dir.path()).ok());
  }
  EXPECT_EQ(Files(dir.path()), before);
}

TEST(ReadOnlyTest, AnIndexNotBuiltOrANewTableIsRefused) {
  TempDir dir;
  Fill(dir.path());
  auto before = Files(dir.path());
  std::vector<TableSpec> tables = lmdbapi::testing::PermitTables();
  tables[0].indexes.push_back({"by_fee", {"fee_cents"}, false});
  auto db = OpenWith(dir.path(), tables, true);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("no database 'permits.idx.by_fee'"),
            std::string::npos)
      << db.status();
  tables = lmdbapi::testing::PermitTables();
  tables[0].indexes[0].fields = {"county", "client", "status"};
  db = OpenWith(dir.path(), tables, true);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      db.status().message().find("permits.idx.main_composite is not built"),
      std::string::npos)
      << db.status();
  tables = lmdbapi::testing::PermitTables();
  TableSpec customers;
  customers.name = "customers";
  customers.descriptor = test::Customer::descriptor();
  customers.primary_key = "uuid";
  tables.push_back(customers);
  db = OpenWith(dir.path(), tables, true);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("no database 'customers'"),
            std::string::npos)
      << db.status();
  EXPECT_EQ(Files(dir.path()), before);
}

TEST(ReadOnlyTest, AnEmptyDirectoryIsNotFoundAndStaysEmpty) {
  TempDir dir;
  auto db = OpenWith(dir.path(), lmdbapi::testing::PermitTables(), true);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(StatTest, CountsRecordsEntriesAndRevision) {
  TempDir dir;
  Fill(dir.path());
  auto db = OpenWith(dir.path(), lmdbapi::testing::PermitTables());
  ASSERT_TRUE(db.ok()) << db.status();
  auto stat = (*db)->Stat();
  ASSERT_TRUE(stat.ok()) << stat.status();
  ASSERT_EQ(stat->tables.size(), 3u);
  EXPECT_EQ(stat->tables[0].name, "permits");
  EXPECT_EQ(stat->tables[0].records, 1u);
  EXPECT_GT(stat->tables[0].pages, 0u);
  ASSERT_EQ(stat->tables[0].indexes.size(), 3u);
  EXPECT_EQ(stat->tables[0].indexes[0].name, "main_composite");
  EXPECT_EQ(stat->tables[0].indexes[0].entries, 1u);
  EXPECT_EQ(stat->tables[0].indexes[0].build.state, IndexState::kReady);
  // inspections: its index and its parent link.
  EXPECT_EQ(stat->tables[1].indexes.size(), 2u);
  EXPECT_EQ(stat->revision, 2u);
  EXPECT_GT(stat->map.map_size_bytes, 0u);
  EXPECT_GT(stat->map.used_bytes, 0u);
  EXPECT_GT(stat->map.page_size_bytes, 0u);
  EXPECT_GT(stat->map.max_readers, 0u);
}

}  // namespace
}  // namespace lmdbapi::storage
