// Table behaviour through the public storage API on a real LMDB directory.
#include "storage/table.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/lmdb.h"
#include "storage/stored_record.h"
#include "storage/uuid.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using lmdbapi::testing::MakePermit;
using test::APPROVED;
using test::Inspection;
using test::InspectionNote;
using test::PENDING;
using test::Permit;

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = lmdbapi::testing::OpenPermitDb(dir_.path());
    permits_ = db_->table("permits");
    inspections_ = db_->table("inspections");
    notes_ = db_->table("notes");
  }
  std::vector<Permit> FilterAll(std::vector<Predicate> predicates,
                                std::string* plan = nullptr) {
    std::vector<Permit> out;
    Query query{std::move(predicates), 1000, ""};
    google::protobuf::RepeatedPtrField<Permit> page;
    auto result = permits_->Filter(query, [&] { return page.Add(); });
    EXPECT_TRUE(result.ok()) << result.status();
    if (plan != nullptr && result.ok()) *plan = result->plan->description;
    return {page.begin(), page.end()};
  }
  void ExpectIndexesAgree() {
    for (Table* t : {permits_, inspections_, notes_}) {
      auto report = t->VerifyIndexes();
      ASSERT_TRUE(report.ok()) << report.status();
      for (const auto& m : report->mismatches) ADD_FAILURE() << m.DebugString();
    }
  }

  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  Table* permits_;
  Table* inspections_;
  Table* notes_;
};

TEST_F(TableTest, InsertGeneratesTimeOrderedUuidAndGetReturnsTheRecord) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  Permit b = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  ASSERT_TRUE(permits_->Insert(&b).ok());
  EXPECT_TRUE(IsCanonicalUuid(a.uuid()));
  EXPECT_EQ(a.uuid()[14], '7');  // version 7
  EXPECT_LT(a.uuid(), b.uuid());
  Permit got;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got).ok());
  EXPECT_EQ(got.SerializeAsString(), a.SerializeAsString());
}

TEST_F(TableTest, ATaggedTableEndsEveryKeyItMakesWithItsTag) {
  db_.reset();
  DatabaseOptions tagged;
  tagged.env.path = dir_.path();
  tagged.env.map_size_bytes = uint64_t{64} << 20;
  tagged.table.uuid_tag = 0xa7;
  auto db = Database::Open(tagged, lmdbapi::testing::PermitTables());
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = std::move(*db);
  permits_ = db_->table("permits");
  std::string last;
  for (int n = 0; n < 20; ++n) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    ASSERT_TRUE(permits_->Insert(&p).ok());
    EXPECT_TRUE(IsCanonicalUuid(p.uuid())) << p.uuid();
    EXPECT_EQ(p.uuid().substr(34), "a7");
    EXPECT_EQ(UuidTag(p.uuid()), std::optional<uint8_t>(0xa7));
    EXPECT_LT(last, p.uuid());  // still time-ordered
    last = p.uuid();
  }
  Permit caller = MakePermit("Acme", "NY", PENDING);  // a caller's key stays
  caller.set_uuid("0190a3c4-0000-7000-8000-000000000001");
  ASSERT_TRUE(permits_->Insert(&caller).ok());
  EXPECT_EQ(UuidTag(caller.uuid()), std::optional<uint8_t>(0x01));
  EXPECT_EQ(UuidTag("P-001"), std::nullopt);
}

TEST_F(TableTest, GetMissingIsNotFoundAndEmptyKeyIsInvalid) {
  Permit got;
  EXPECT_EQ(permits_->Get("nope", &got).code(), absl::StatusCode::kNotFound);
  absl::Status empty = permits_->Get("", &got);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.message().find("'uuid'"), std::string::npos);
}

TEST_F(TableTest, GetWireGivesTheBytesOfTheRecordGetGives) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  a.set_fee_cents(4200);
  ASSERT_TRUE(permits_->Update(a).ok());
  Permit got;
  RecordVersion version;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &version).ok());
  std::string wire;
  RecordVersion wire_version;
  ASSERT_TRUE(permits_->GetWire(a.uuid(), &wire, &wire_version).ok());
  Permit parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.SerializeAsString(), got.SerializeAsString());
  EXPECT_EQ(wire_version.revision, version.revision);
  EXPECT_EQ(wire_version.update_micros, version.update_micros);
  EXPECT_EQ(permits_->GetWire("nope", &wire, &wire_version).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(permits_->GetWire("", &wire, &wire_version).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TableTest, FilterWireGivesThePagesFilterGives) {
  for (int i = 0; i < 5; ++i) {
    Permit p = MakePermit("Acme", "NY", i % 2 == 0 ? PENDING : APPROVED);
    p.set_fee_cents(100 * i);
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  // No residual, one decided on the bytes, and one that needs a parse.
  for (const char* filter : {"", "fee_cents >= 100", "area < 1e9"}) {
    SCOPED_TRACE(filter);
    Query query;
    query.page_size = 2;
    query.filter = filter;
    for (int page = 0; page < 3; ++page) {
      google::protobuf::RepeatedPtrField<Permit> parsed;
      auto want = permits_->Filter(query, [&] { return parsed.Add(); });
      ASSERT_TRUE(want.ok()) << want.status();
      std::vector<std::string> wires;
      FilterResult got;
      absl::Status wired = permits_->FilterWire(
          query,
          [&](absl::string_view stored, absl::string_view appended) {
            wires.push_back(absl::StrCat(stored, appended));
          },
          &got);
      ASSERT_TRUE(wired.ok()) << wired;
      ASSERT_EQ(wires.size(), static_cast<size_t>(parsed.size()));
      for (size_t i = 0; i < wires.size(); ++i) {
        Permit record;
        ASSERT_TRUE(record.ParseFromString(wires[i]));
        EXPECT_EQ(record.SerializeAsString(),
                  parsed[static_cast<int>(i)].SerializeAsString());
      }
      EXPECT_EQ(got.next_page_token, want->next_page_token);
      EXPECT_EQ(got.plan->description, want->plan->description);
      query.page_token = want->next_page_token;
    }
  }
}

TEST_F(TableTest, ARepeatedQueryReusesItsPlanAndAnotherQueryDoesNot) {
  for (int i = 0; i < 4; ++i) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    p.set_fee_cents(100 * i);
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  auto plan_of = [&](const Query& query) {
    google::protobuf::RepeatedPtrField<Permit> page;
    auto result = permits_->Filter(query, [&] { return page.Add(); });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->plan : nullptr;
  };
  Query query;
  query.filter = "fee_cents >= 100";
  query.page_size = 1;
  auto first = plan_of(query);
  ASSERT_NE(first, nullptr);
  google::protobuf::RepeatedPtrField<Permit> page;
  auto paged = permits_->Filter(query, [&] { return page.Add(); });
  ASSERT_TRUE(paged.ok());
  query.page_token = paged->next_page_token;  // the same query, next page
  query.page_size = 2;
  EXPECT_EQ(plan_of(query), first);
  // Any other condition or order is another plan: predicates that differ
  // only in a value's type, a filter's text, an order.
  Query other = query;
  other.page_token.clear();
  other.filter = "fee_cents >= 200";
  EXPECT_NE(plan_of(other), first);
  other.filter = "fee_cents >= 100";
  other.order_by = "issued desc";
  const auto ordered = plan_of(other);
  EXPECT_NE(ordered, first);
  ASSERT_NE(ordered, nullptr);
  EXPECT_EQ(ordered->plan.order_by, "issued desc");
  Query typed;
  typed.predicates.push_back({"client", Op::kEq, std::string("Acme")});
  const auto by_client = plan_of(typed);
  ASSERT_NE(by_client, nullptr);
  typed.predicates[0].value = std::string("Bcme");
  EXPECT_NE(plan_of(typed), by_client);
  EXPECT_NE(PlanCache::KeyOf(typed), PlanCache::KeyOf(query));
  Query as_int, as_uint;
  as_int.predicates.push_back({"fee_cents", Op::kEq, int64_t{5}});
  as_uint.predicates.push_back({"fee_cents", Op::kEq, uint64_t{5}});
  EXPECT_NE(PlanCache::KeyOf(as_int), PlanCache::KeyOf(as_uint));
}

TEST(PlanCacheTest, AFullCacheKeepsThePlansFoundAgainAndForgetsOneOffs) {
  PlanCache cache;
  auto hot = std::make_shared<PreparedPlan>();
  cache.Keep("hot", hot);
  // Three times the capacity of one-off queries, the hot one asked between.
  for (size_t i = 0; i < 3 * PlanCache::kCapacity; ++i) {
    cache.Keep(absl::StrCat("once-", i), std::make_shared<PreparedPlan>());
    if (i % 64 == 0) ASSERT_EQ(cache.Find("hot"), hot) << "after " << i;
  }
  EXPECT_EQ(cache.Find("hot"), hot);
  EXPECT_EQ(cache.Find("once-0"), nullptr);  // forgotten: the cache is bounded
  EXPECT_NE(cache.Find(absl::StrCat("once-", 3 * PlanCache::kCapacity - 1)),
            nullptr);  // the last kept
  size_t kept = 0;
  for (size_t i = 0; i < 3 * PlanCache::kCapacity; ++i) {
    kept += cache.Find(absl::StrCat("once-", i)) != nullptr;
  }
  EXPECT_EQ(kept, PlanCache::kCapacity - 1);  // and "hot"
}

TEST(PlanCacheTest, KeepingAKeyAgainReplacesItsPlan) {
  PlanCache cache;
  auto first = std::make_shared<PreparedPlan>();
  auto second = std::make_shared<PreparedPlan>();
  cache.Keep("q", first);
  cache.Keep("q", second);
  EXPECT_EQ(cache.Find("q"), second);
}

TEST(PlanCacheTest, ATypedQuerysShapeStartsItsKeyAndNoKeyIsAnyQuerysShape) {
  const Predicate acme{"client", Op::kEq, std::string("Acme")};
  const Predicate ny{"county", Op::kEq, std::string("NY")};
  using testing::QueryOf;
  const std::vector<Query> queries = {
      QueryOf({}),
      QueryOf({acme}),
      QueryOf({{"client", Op::kEq, std::string("Bcme")}}),
      QueryOf({{"client", Op::kPrefix, std::string("Acme")}}),
      QueryOf({{"client", Op::kEq, int64_t{1}}}),
      QueryOf({acme, ny}),
      QueryOf({ny, acme}),
      QueryOf({acme}, "county = \"NY\""),
      QueryOf({acme}, "", "issued desc"),
      QueryOf({}, "client = \"Acme\""),
  };
  std::set<std::string> keys, shapes;
  for (const Query& q : queries) {
    const std::string key = PlanCache::KeyOf(q);
    const std::string shape = PlanCache::ShapeOf(q);
    if (q.filter.empty()) {
      EXPECT_EQ(key.rfind(shape, 0), 0u) << "a typed query's shape starts it";
    }
    EXPECT_TRUE(keys.insert(key).second) << "two queries share a key";
    shapes.insert(shape);
  }
  // Only "Acme" and "Bcme" differ in a value alone: one shape for the two.
  EXPECT_EQ(shapes.size(), queries.size() - 1);
  for (const std::string& key : keys) EXPECT_EQ(shapes.count(key), 0u);
}

TEST(PlanCacheTest,
     NewValuesOfAKnownShapeArePlannedByItsChoiceAndKeptWhileThereIsRoom) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  auto by_client = [](size_t i) {
    Query q;
    q.predicates = {{"client", Op::kEq, absl::StrCat("c", i)},
                    {"county", Op::kEq, std::string("NY")}};
    return q;
  };
  PlanCache cache;
  auto first = cache.Prepare(*permits, by_client(0));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->choice.has_value());
  EXPECT_EQ(cache.Find(PlanCache::ShapeOf(by_client(7))), *first);
  EXPECT_NE(PlanCache::ShapeOf(by_client(7)), PlanCache::KeyOf(by_client(7)));
  // Twice the capacity of new values: each planned for its values; those
  // past the room left are not kept, and forget nothing kept.
  for (size_t i = 1; i < 2 * PlanCache::kCapacity; ++i) {
    auto plan = cache.Prepare(*permits, by_client(i));
    ASSERT_TRUE(plan.ok()) << plan.status();
    ASSERT_EQ((*plan)->description,
              absl::StrCat("index main_composite (client = \"c", i,
                           "\", county = \"NY\")"));
    ASSERT_EQ((*plan)->plan.ranges.size(), 1u);
  }
  EXPECT_EQ(cache.Find(PlanCache::KeyOf(by_client(0))), *first);
  EXPECT_NE(cache.Find(PlanCache::KeyOf(by_client(PlanCache::kCapacity - 2))),
            nullptr);
  EXPECT_EQ(cache.Find(PlanCache::KeyOf(by_client(PlanCache::kCapacity - 1))),
            nullptr);
  EXPECT_EQ(cache.Find(PlanCache::KeyOf(by_client(PlanCache::kCapacity))),
            nullptr);
  // A bad value of a known shape is refused as the planner refuses it.
  Query wrong = by_client(1);
  wrong.predicates[0].value = int64_t{5};
  absl::Status refused = cache.Prepare(*permits, wrong).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("'client'"), std::string::npos) << refused;
}

TEST_F(TableTest, InsertWithCallerKeyAndDuplicateIsAlreadyExists) {
  Permit p = MakePermit("Acme", "NY", PENDING);
  p.set_uuid("my-key");
  ASSERT_TRUE(permits_->Insert(&p).ok());
  Permit again = MakePermit("Other", "CA", APPROVED);
  again.set_uuid("my-key");
  EXPECT_EQ(permits_->Insert(&again).code(), absl::StatusCode::kAlreadyExists);
  Permit got;
  ASSERT_TRUE(permits_->Get("my-key", &got).ok());
  EXPECT_EQ(got.client(), "Acme");
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Other")}}).empty());
  ExpectIndexesAgree();
}

TEST_F(TableTest,
       UniqueIndexClashIsAlreadyExistsNamingTheFieldAndWritesNothing) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  a.set_permit_number("P-1");
  ASSERT_TRUE(permits_->Insert(&a).ok());
  Permit b = MakePermit("Beta", "CA", PENDING);
  b.set_permit_number("P-1");
  absl::Status clash = permits_->Insert(&b);
  EXPECT_EQ(clash.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(clash.message().find("permit_number"), std::string::npos) << clash;
  EXPECT_EQ(*permits_->Count(), 1u);
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Beta")}}).empty());
  ExpectIndexesAgree();
}

TEST_F(TableTest, UpdateReplacesTheRecordAndMovesItsIndexEntries) {
  Permit p = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&p).ok());
  p.set_county("CA");
  p.set_status(APPROVED);
  ASSERT_TRUE(permits_->Update(p).ok());
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Acme")},
                         {"county", Op::kEq, std::string("NY")}})
                  .empty());
  auto found = FilterAll({{"client", Op::kEq, std::string("Acme")},
                          {"county", Op::kEq, std::string("CA")},
                          {"status", Op::kEq, int64_t{APPROVED}}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].uuid(), p.uuid());
  ExpectIndexesAgree();
}

TEST_F(TableTest, UpdateOrDeleteOfMissingRecordIsNotFound) {
  Permit p = MakePermit("Acme", "NY", PENDING);
  p.set_uuid("ghost");
  EXPECT_EQ(permits_->Update(p).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(permits_->Delete("ghost").code(), absl::StatusCode::kNotFound);
}

TEST_F(TableTest, DeleteRemovesTheRecordAndItsIndexEntries) {
  Permit p = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&p).ok());
  ASSERT_TRUE(permits_->Delete(p.uuid()).ok());
  Permit got;
  EXPECT_EQ(permits_->Get(p.uuid(), &got).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Acme")}}).empty());
  ExpectIndexesAgree();
}

TEST_F(TableTest, ChildOfMissingParentIsFailedPrecondition) {
  Inspection i;
  i.set_permit_uuid("no-such-permit");
  i.set_inspector("Ann");
  absl::Status status = inspections_->Insert(&i);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("permit_uuid"), std::string::npos) << status;
  EXPECT_EQ(*inspections_->Count(), 0u);
  Inspection orphan;
  absl::Status missing = inspections_->Insert(&orphan);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(TableTest, DeletingAParentCascadesToChildrenAndGrandchildren) {
  Permit keep = MakePermit("Keep", "NY", PENDING);
  Permit gone = MakePermit("Gone", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&keep).ok());
  ASSERT_TRUE(permits_->Insert(&gone).ok());
  for (Permit* parent : {&keep, &gone}) {
    for (int n = 0; n < 3; ++n) {
      Inspection i;
      i.set_permit_uuid(parent->uuid());
      i.set_inspector("Ann");
      i.set_passed(n % 2 == 0);
      ASSERT_TRUE(inspections_->Insert(&i).ok());
      InspectionNote note;
      note.set_inspection_uuid(i.uuid());
      note.set_text("ok");
      ASSERT_TRUE(notes_->Insert(&note).ok());
    }
  }
  ASSERT_TRUE(permits_->Delete(gone.uuid()).ok());
  EXPECT_EQ(*inspections_->Count(), 3u);
  EXPECT_EQ(*notes_->Count(), 3u);
  google::protobuf::RepeatedPtrField<Inspection> left;
  auto result = inspections_->Filter(
      Query{{{"permit_uuid", Op::kEq, keep.uuid()}}, 100, ""},
      [&] { return left.Add(); });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(left.size(), 3);
  EXPECT_EQ(result->plan->description,
            "index by_permit_uuid (permit_uuid = \"" + keep.uuid() + "\")");
  ExpectIndexesAgree();
}

TEST_F(TableTest, BatchInsertIsAllOrNothing) {
  std::vector<Permit> good(3, MakePermit("Batch", "NY", PENDING));
  std::vector<google::protobuf::Message*> ptrs;
  for (auto& p : good) ptrs.push_back(&p);
  ASSERT_TRUE(permits_->BatchInsert(ptrs).ok());
  EXPECT_EQ(*permits_->Count(), 3u);

  std::vector<Permit> bad(3, MakePermit("Bad", "NY", PENDING));
  bad[2].set_uuid(good[0].uuid());  // clashes with a stored record
  ptrs.clear();
  for (auto& p : bad) ptrs.push_back(&p);
  absl::Status status = permits_->BatchInsert(ptrs);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("records[2]"), std::string::npos) << status;
  EXPECT_EQ(*permits_->Count(), 3u);
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Bad")}}).empty());
  ExpectIndexesAgree();
}

TEST_F(TableTest, FilterByCompositePrefixRangeAndResidual) {
  for (int day = 0; day < 10; ++day) {
    Permit p = MakePermit(day < 5 ? "Acme" : "Beta", day % 2 ? "NY" : "CA",
                          day % 3 ? PENDING : APPROVED, 86400 * day);
    p.set_fee_cents(day * 100);
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  std::string plan;
  auto acme_ny = FilterAll({{"client", Op::kEq, std::string("Acme")},
                            {"county", Op::kEq, std::string("NY")}},
                           &plan);
  EXPECT_EQ(acme_ny.size(), 2u);  // days 1, 3
  EXPECT_EQ(plan, "index main_composite (client = \"Acme\", county = \"NY\")");

  // Time travel: a half-open date range, in date order.
  auto week = FilterAll({{"issued", Op::kGe, TimestampValue{86400 * 2, 0}},
                         {"issued", Op::kLt, TimestampValue{86400 * 7, 0}}},
                        &plan);
  ASSERT_EQ(week.size(), 5u);
  for (size_t i = 0; i < week.size(); ++i) {
    EXPECT_EQ(week[i].issued().seconds(), 86400 * static_cast<int64_t>(i + 2));
  }
  EXPECT_EQ(plan.rfind("index by_issued", 0), 0u) << plan;

  auto residual = FilterAll({{"client", Op::kEq, std::string("Beta")},
                             {"fee_cents", Op::kGt, int64_t{700}}},
                            &plan);
  EXPECT_EQ(residual.size(), 2u);  // days 8, 9
  EXPECT_NE(plan.find("residual: fee_cents > 700"), std::string::npos) << plan;

  auto scan =
      FilterAll({{"county_status", Op::kEq, std::string("Active")}}, &plan);
  EXPECT_EQ(scan.size(), 10u);
  EXPECT_EQ(plan, "full scan; residual: county_status = \"Active\"");
}

TEST_F(TableTest, PagesResumeAfterTheLastKeyAndBadTokensAreInvalid) {
  for (int n = 0; n < 25; ++n) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  Query query{{{"client", Op::kEq, std::string("Acme")}}, 10, ""};
  std::vector<std::string> seen;
  int pages = 0;
  do {
    google::protobuf::RepeatedPtrField<Permit> page;
    auto result = permits_->Filter(query, [&] { return page.Add(); });
    ASSERT_TRUE(result.ok()) << result.status();
    for (const auto& p : page) seen.push_back(p.uuid());
    query.page_token = result->next_page_token;
    ++pages;
  } while (!query.page_token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  google::protobuf::RepeatedPtrField<Permit> page;
  Query first{{{"client", Op::kEq, std::string("Acme")}}, 10, ""};
  auto result = permits_->Filter(first, [&] { return page.Add(); });
  ASSERT_TRUE(result.ok());
  Query tampered = first;
  tampered.page_token = result->next_page_token;
  tampered.page_token[3] = tampered.page_token[3] == 'A' ? 'B' : 'A';
  auto bad = permits_->Filter(tampered, [&] { return page.Add(); });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("page_token"), std::string::npos);
  Query other{
      {{"client", Op::kEq, std::string("Beta")}}, 10, result->next_page_token};
  EXPECT_EQ(permits_->Filter(other, [&] { return page.Add(); }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TablePageSizeTest, APageIsNeverLargerThanTheMaximumEvenByDefault) {
  lmdbapi::testing::TempDir dir;
  storage::DatabaseOptions options =
      lmdbapi::testing::PermitDbOptions(dir.path());
  options.table.max_page_size = 3;  // below the default page size (100)
  auto db = Database::Open(options, lmdbapi::testing::PermitTables());
  ASSERT_TRUE(db.ok()) << db.status();
  Table* permits = (*db)->table("permits");
  for (int n = 0; n < 7; ++n) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    ASSERT_TRUE(permits->Insert(&p).ok());
  }
  for (size_t asked : {size_t{0}, size_t{2}, size_t{3}, size_t{50}}) {
    Query query{{{"client", Op::kEq, std::string("Acme")}}, asked, ""};
    google::protobuf::RepeatedPtrField<Permit> page;
    auto result = permits->Filter(query, [&] { return page.Add(); });
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(page.size(), asked == 2 ? 2 : 3) << "page_size " << asked;
    EXPECT_FALSE(result->next_page_token.empty());
  }
}

TEST_F(TableTest, OversizedIndexValueIsInvalidArgumentNamingTheField) {
  Permit p = MakePermit(std::string(600, 'x'), "NY", PENDING);
  absl::Status status = permits_->Insert(&p);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("client"), std::string::npos) << status;
  EXPECT_EQ(*permits_->Count(), 0u);
}

TEST_F(TableTest, RecordsAndIndexesSurviveReopen) {
  Permit p = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&p).ok());
  db_.reset();
  db_ = lmdbapi::testing::OpenPermitDb(dir_.path());
  permits_ = db_->table("permits");
  EXPECT_TRUE(db_->open_log().empty());  // nothing to rebuild
  Permit got;
  ASSERT_TRUE(permits_->Get(p.uuid(), &got).ok());
  EXPECT_EQ(FilterAll({{"client", Op::kEq, std::string("Acme")}}).size(), 1u);
}

TEST_F(TableTest, PageTokensSurviveReopenButNotASecretRotation) {
  for (int n = 0; n < 3; ++n) {
    Permit p = MakePermit("Acme", "NY", PENDING);
    ASSERT_TRUE(permits_->Insert(&p).ok());
  }
  Query query{{{"client", Op::kEq, std::string("Acme")}}, 1, ""};
  google::protobuf::RepeatedPtrField<Permit> page;
  auto first = permits_->Filter(query, [&] { return page.Add(); });
  ASSERT_TRUE(first.ok()) << first.status();
  query.page_token = first->next_page_token;

  db_.reset();  // the same secret after a restart: the token still works
  db_ = lmdbapi::testing::OpenPermitDb(dir_.path());
  permits_ = db_->table("permits");
  EXPECT_TRUE(permits_->Filter(query, [&] { return page.Add(); }).ok());

  db_.reset();
  DatabaseOptions rotate;
  rotate.env.path = dir_.path();
  rotate.env.map_size_bytes = uint64_t{64} << 20;
  rotate.rotate_page_token_secret = true;
  auto rotated = Database::Open(rotate, lmdbapi::testing::PermitTables());
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  db_ = std::move(*rotated);
  permits_ = db_->table("permits");
  auto refused = permits_->Filter(query, [&] { return page.Add(); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("page_token"), std::string::npos);
  EXPECT_NE(refused.status().message().find("rotat"), std::string::npos);
  query.page_token.clear();  // from the first page: served, with new tokens
  auto again = permits_->Filter(query, [&] { return page.Add(); });
  ASSERT_TRUE(again.ok()) << again.status();
  query.page_token = again->next_page_token;
  EXPECT_TRUE(permits_->Filter(query, [&] { return page.Add(); }).ok());
}

TEST_F(TableTest, EveryWriteTakesTheNextRevisionAndAStaleOneIsAborted) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  Permit b = MakePermit("Bolt", "CA", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  ASSERT_TRUE(permits_->Insert(&b).ok());
  RecordVersion va, vb;
  Permit got;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &va).ok());
  ASSERT_TRUE(permits_->Get(b.uuid(), &got, &vb).ok());
  EXPECT_EQ(vb.revision, va.revision + 1);  // one counter per database
  EXPECT_EQ(va.create_micros, va.update_micros);

  a.set_client("Acme 2");
  WriteOptions stale_revision;
  stale_revision.expected_revision = va.revision + 7;
  absl::Status stale = permits_->Update(a, stale_revision);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  EXPECT_EQ(permits_->Delete(a.uuid(), stale_revision).code(),
            absl::StatusCode::kAborted);
  ASSERT_TRUE(permits_->Get(a.uuid(), &got).ok());
  EXPECT_EQ(got.client(), "Acme");
  // A failed write gives its revision back: the next one takes it.
  WriteOptions current_revision;
  current_revision.expected_revision = va.revision;
  ASSERT_TRUE(permits_->Update(a, current_revision).ok());
  RecordVersion va2;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &va2).ok());
  EXPECT_EQ(va2.revision, vb.revision + 1);
  EXPECT_EQ(va2.create_micros, va.create_micros);
  EXPECT_GE(va2.update_micros, va.update_micros);
  current_revision.expected_revision = va2.revision;
  ASSERT_TRUE(permits_->Delete(a.uuid(), current_revision).ok());
  ExpectIndexesAgree();
}

TEST_F(TableTest, AWriteGivesItsVersionAndRefusesAnOptionItCannotHonour) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  RecordVersion inserted;
  WriteOptions give_version;
  give_version.version = &inserted;
  ASSERT_TRUE(permits_->Insert(&a, give_version).ok());
  RecordVersion stored;
  Permit got;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &stored).ok());
  EXPECT_EQ(inserted.revision, stored.revision);

  Permit b = MakePermit("Bolt", "CA", PENDING);
  WriteOptions expect_revision;
  expect_revision.expected_revision = stored.revision;
  EXPECT_EQ(permits_->Insert(&b, expect_revision).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(permits_->Delete(a.uuid(), give_version).code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<uint64_t> count = permits_->Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);  // a refused write writes nothing
}

TEST_F(TableTest, PatchChangesOnlyTheMaskedFieldsAndMovesIndexEntries) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  a.set_description("keep me");
  ASSERT_TRUE(permits_->Insert(&a).ok());
  Permit patch;
  patch.set_uuid(a.uuid());
  patch.set_client("Patched");
  patch.set_county("ignored: not in the mask");
  Permit result;
  ASSERT_TRUE(permits_->Patch(patch, {"client"}, &result).ok());
  EXPECT_EQ(result.client(), "Patched");
  EXPECT_EQ(result.county(), "NY");
  EXPECT_EQ(result.description(), "keep me");
  EXPECT_EQ(FilterAll({{"client", Op::kEq, std::string("Patched")}}).size(),
            1u);
  EXPECT_TRUE(FilterAll({{"client", Op::kEq, std::string("Acme")}}).empty());
  EXPECT_EQ(permits_->Patch(patch, {"colour"}, &result).code(),
            absl::StatusCode::kInvalidArgument);
  patch.set_uuid("missing");
  EXPECT_EQ(permits_->Patch(patch, {"client"}, &result).code(),
            absl::StatusCode::kNotFound);
  ExpectIndexesAgree();
}

TEST_F(TableTest, CascadingDeletesDropTheChildrensVersions) {
  Permit parent = MakePermit("P", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&parent).ok());
  Inspection child;
  child.set_permit_uuid(parent.uuid());
  ASSERT_TRUE(inspections_->Insert(&child).ok());
  ASSERT_TRUE(permits_->Delete(parent.uuid()).ok());
  // Inserted again under the same key, the child starts a new history.
  ASSERT_TRUE(permits_->Insert(&parent).ok());
  ASSERT_TRUE(inspections_->Insert(&child).ok());
  RecordVersion v;
  Inspection got;
  ASSERT_TRUE(inspections_->Get(child.uuid(), &got, &v).ok());
  EXPECT_EQ(v.create_micros, v.update_micros);
}

// The handle of the database `name`, which the test's tables opened.
MDB_dbi Dbi(const absl::StatusOr<Txn>& txn, const char* name) {
  MDB_dbi dbi = 0;
  EXPECT_TRUE(txn.ok()) << txn.status();
  if (txn.ok()) EXPECT_EQ(mdb_dbi_open(txn->get(), name, 0, &dbi), MDB_SUCCESS);
  return dbi;
}

// Rewrites `pk`'s stored record as format 1 held it (storage/
// stored_record.h): the serialized record alone, its version in
// "__versions.permits".
void StoreAsFormatOne(Environment& env, const std::string& pk) {
  absl::StatusOr<Txn> txn = Txn::BeginWrite(env.raw(), nullptr);
  ASSERT_TRUE(txn.ok()) << txn.status();
  const MDB_dbi records = Dbi(txn, "permits");
  const MDB_dbi versions = Dbi(txn, "__versions.permits");
  absl::StatusOr<absl::string_view> value = GetValue(txn->get(), records, pk);
  ASSERT_TRUE(value.ok()) << value.status();
  absl::StatusOr<StoredRecord> stored = SplitStored(*value);
  ASSERT_TRUE(stored.ok() && stored->version.has_value());
  const std::string version = EncodeVersion(*stored->version);
  const std::string bytes(stored->bytes);
  ASSERT_TRUE(PutValue(txn->get(), records, pk, bytes).ok());
  ASSERT_TRUE(PutValue(txn->get(), versions, pk, version).ok());
  ASSERT_TRUE(txn->Commit().ok());
}

// Whether `pk`'s stored record is format 2, and whether a format-1 version
// of it is left in the versions database.
std::pair<bool, bool> StoredFormat(Environment& env, const std::string& pk) {
  absl::StatusOr<Txn> txn = Txn::BeginRead(env.raw());
  const MDB_dbi records = Dbi(txn, "permits");
  const MDB_dbi versions = Dbi(txn, "__versions.permits");
  if (!txn.ok()) return {false, false};
  absl::StatusOr<absl::string_view> value = GetValue(txn->get(), records, pk);
  EXPECT_TRUE(value.ok()) << value.status();
  return {value.ok() && !value->empty() && (*value)[0] == '\0',
          GetValue(txn->get(), versions, pk).ok()};
}

TEST_F(TableTest, RecordsStoredInFormatOneAreReadAndRewrittenInFormatTwo) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  Permit b = MakePermit("Bolt", "NY", APPROVED);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  ASSERT_TRUE(permits_->Insert(&b).ok());
  EXPECT_EQ(StoredFormat(db_->env(), a.uuid()), std::make_pair(true, false));
  RecordVersion before;
  Permit got;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &before).ok());
  StoreAsFormatOne(db_->env(), a.uuid());
  StoreAsFormatOne(db_->env(), b.uuid());
  EXPECT_EQ(StoredFormat(db_->env(), a.uuid()), std::make_pair(false, true));

  // Read as before: the record, its version, pages, indexes.
  RecordVersion read;
  ASSERT_TRUE(permits_->Get(a.uuid(), &got, &read).ok());
  EXPECT_EQ(got.SerializeAsString(), a.SerializeAsString());
  EXPECT_EQ(read.revision, before.revision);
  EXPECT_EQ(read.create_micros, before.create_micros);
  std::string wire;
  ASSERT_TRUE(permits_->GetWire(a.uuid(), &wire, &read).ok());
  EXPECT_EQ(wire, a.SerializeAsString());
  EXPECT_EQ(FilterAll({}).size(), 2u);
  ExpectIndexesAgree();

  // An update stores format 2 and drops the old version; so does a delete.
  a.set_fee_cents(4200);
  RecordVersion updated;
  WriteOptions options;
  options.expected_revision = before.revision;
  options.version = &updated;
  ASSERT_TRUE(permits_->Update(a, options).ok());
  EXPECT_EQ(StoredFormat(db_->env(), a.uuid()), std::make_pair(true, false));
  EXPECT_EQ(updated.create_micros, before.create_micros);
  EXPECT_GT(updated.revision, before.revision);
  ASSERT_TRUE(permits_->Delete(b.uuid()).ok());
  absl::StatusOr<Txn> txn = Txn::BeginRead(db_->env().raw());
  ASSERT_TRUE(txn.ok());
  const MDB_dbi versions = Dbi(txn, "__versions.permits");
  EXPECT_TRUE(
      absl::IsNotFound(GetValue(txn->get(), versions, b.uuid()).status()));
  ExpectIndexesAgree();
}

// Sets the directory's format version, as another build would have left it.
void SetFormatVersion(Environment& env, const std::string& version) {
  absl::StatusOr<Txn> txn = Txn::BeginWrite(env.raw(), nullptr);
  ASSERT_TRUE(txn.ok()) << txn.status();
  const MDB_dbi meta = Dbi(txn, kMetaDb);
  ASSERT_TRUE(PutValue(txn->get(), meta, "format_version", version).ok());
  ASSERT_TRUE(txn->Commit().ok());
}

TEST_F(TableTest, AFormatOneDirectoryOpensAsFormatTwoAndAnotherIsRefused) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  StoreAsFormatOne(db_->env(), a.uuid());
  SetFormatVersion(db_->env(), "1");
  db_.reset();
  db_ = lmdbapi::testing::OpenPermitDb(dir_.path());
  {
    absl::StatusOr<Txn> txn = Txn::BeginRead(db_->env().raw());
    ASSERT_TRUE(txn.ok());
    const MDB_dbi meta = Dbi(txn, kMetaDb);
    absl::StatusOr<absl::string_view> format =
        GetValue(txn->get(), meta, "format_version");
    ASSERT_TRUE(format.ok());
    EXPECT_EQ(*format, "2");
  }
  Permit got;
  ASSERT_TRUE(db_->table("permits")->Get(a.uuid(), &got).ok());
  EXPECT_EQ(got.SerializeAsString(), a.SerializeAsString());

  SetFormatVersion(db_->env(), "3");
  db_.reset();
  auto refused = Database::Open(lmdbapi::testing::PermitDbOptions(dir_.path()),
                                lmdbapi::testing::PermitTables());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(
                "has format version 3; this build reads versions 1 and 2"),
            std::string::npos)
      << refused.status();
}

TEST_F(TableTest, TheChangeLogHoldsEveryCommittedWriteInRevisionOrder) {
  Permit a = MakePermit("Acme", "NY", PENDING);
  ASSERT_TRUE(permits_->Insert(&a).ok());
  Permit dup = a;
  EXPECT_FALSE(permits_->Insert(&dup).ok());  // rolled back: not in the log
  a.set_client("Acme 2");
  ASSERT_TRUE(permits_->Update(a).ok());
  Inspection child;
  child.set_permit_uuid(a.uuid());
  ASSERT_TRUE(inspections_->Insert(&child).ok());
  ASSERT_TRUE(permits_->Delete(a.uuid()).ok());  // cascades to the child

  auto txn = db_->env().BeginRead();
  ASSERT_TRUE(txn.ok());
  auto changes = db_->changes().Read(txn->get(), 1, 100);
  ASSERT_TRUE(changes.ok()) << changes.status();
  std::vector<std::string> seen;
  for (size_t i = 0; i < changes->size(); ++i) {
    const Change& c = (*changes)[i];
    EXPECT_EQ(c.revision, i + 1);  // no gaps
    seen.push_back(absl::StrCat(c.table, ":", static_cast<int>(c.type)));
  }
  // The parent's delete, then its cascade.
  EXPECT_EQ(seen,
            (std::vector<std::string>{"permits:1", "permits:2", "inspections:1",
                                      "permits:3", "inspections:3"}));
  Permit last;
  ASSERT_TRUE(last.ParseFromString((*changes)[3].record));
  EXPECT_EQ(last.client(), "Acme 2");  // a delete carries the last state
  EXPECT_EQ(*db_->changes().Last(txn->get()), 5u);
  EXPECT_EQ(*db_->changes().Oldest(txn->get()), 1u);
}

// A database that keeps the changes of its newest 10 revisions.
class ChangeLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options =
        lmdbapi::testing::PermitDbOptions(dir_.path(), uint64_t{16} << 20);
    options.change_retention = 10;
    auto db = Database::Open(options, lmdbapi::testing::PermitTables());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  // The log holds revisions `oldest`..`last`, one change each.
  void ExpectLogHolds(uint64_t oldest, uint64_t last) {
    auto txn = db_->env().BeginRead();
    ASSERT_TRUE(txn.ok());
    EXPECT_EQ(*db_->changes().Oldest(txn->get()), oldest);
    EXPECT_EQ(*db_->changes().Last(txn->get()), last);
    EXPECT_EQ(db_->changes().Read(txn->get(), 1, 100)->size(),
              last - oldest + 1);
  }
  lmdbapi::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ChangeLogTest, KeepsTheNewestRetentionChanges) {
  for (int i = 0; i < 25; ++i) {
    Permit p = MakePermit("C", "NY", PENDING);
    ASSERT_TRUE(db_->table("permits")->Insert(&p).ok());
  }
  ExpectLogHolds(16, 25);
}

TEST_F(ChangeLogTest, AWriteBatchDropsWhatFellOutOfRetentionAtItsEnd) {
  // 25 records in one transaction: revisions 1..25, one trim at its end.
  std::vector<Permit> permits;
  for (int i = 0; i < 25; ++i) {
    permits.push_back(MakePermit("C", "NY", PENDING));
  }
  std::vector<google::protobuf::Message*> records;
  for (Permit& p : permits) records.push_back(&p);
  ASSERT_TRUE(db_->table("permits")->BatchInsert(records).ok());
  ExpectLogHolds(16, 25);
  Permit one = MakePermit("C", "NY", PENDING);
  ASSERT_TRUE(db_->table("permits")->Insert(&one).ok());
  ExpectLogHolds(17, 26);
}

}  // namespace
}  // namespace lmdbapi::storage
