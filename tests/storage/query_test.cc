// The planner picks the access path with the longest usable prefix.
#include "storage/query.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::PENDING;

Predicate Eq(std::string field, Value v) {
  return {std::move(field), Op::kEq, std::move(v)};
}
Predicate Ge(std::string field, Value v) {
  return {std::move(field), Op::kGe, std::move(v)};
}
Predicate Lt(std::string field, Value v) {
  return {std::move(field), Op::kLt, std::move(v)};
}

absl::StatusOr<Plan> PlanOf(const TableSchema& table,
                            std::vector<Predicate> predicates) {
  Query query;
  query.predicates = std::move(predicates);
  return PlanQuery(table, query);
}

struct Case {
  const char* name;
  std::vector<Predicate> predicates;
  const char* plan;  // expected Plan::Describe()
};

TEST(PlannerTest, FilterUsesLongestIndexPrefix) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok()) << permits.status();
  const Case cases[] = {
      {"no predicates", {}, "full scan"},
      {"primary key",
       {Eq("uuid", std::string("u1"))},
       "primary key lookup (uuid = \"u1\")"},
      {"primary key wins over an index",
       {Eq("client", std::string("Acme")), Eq("uuid", std::string("u1"))},
       "primary key lookup (uuid = \"u1\"); residual: client = \"Acme\""},
      {"leading field",
       {Eq("client", std::string("Acme"))},
       "index main_composite (client = \"Acme\")"},
      {"two leading fields",
       {Eq("county", std::string("NY")), Eq("client", std::string("Acme"))},
       "index main_composite (client = \"Acme\", county = \"NY\")"},
      {"full composite",
       {Eq("status", int64_t{PENDING}), Eq("county", std::string("NY")),
        Eq("client", std::string("Acme"))},
       "index main_composite (client = \"Acme\", county = \"NY\", status = "
       "PENDING)"},
      {"gap in prefix leaves the rest residual",
       {Eq("client", std::string("Acme")), Eq("status", int64_t{PENDING})},
       "index main_composite (client = \"Acme\"); residual: status = PENDING"},
      {"range after equality prefix",
       {Eq("client", std::string("Acme")), Eq("county", std::string("NY")),
        Ge("status", int64_t{1})},
       "index main_composite (client = \"Acme\", county = \"NY\", status >= "
       "PENDING)"},
      {"date range uses the date index",
       {Ge("issued", TimestampValue{100, 0}),
        Lt("issued", TimestampValue{200, 0})},
       "index by_issued (issued >= \"1970-01-01T00:01:40Z\", issued < "
       "\"1970-01-01T00:03:20Z\")"},
      {"equality beats a range",
       {Ge("issued", TimestampValue{100, 0}),
        Eq("client", std::string("Acme"))},
       "index main_composite (client = \"Acme\"); residual: issued >= "
       "\"1970-01-01T00:01:40Z\""},
      {"unique index",
       {Eq("permit_number", std::string("P-1"))},
       "index by_number (permit_number = \"P-1\")"},
      {"unindexed field scans",
       {Eq("county_status", std::string("Active"))},
       "full scan; residual: county_status = \"Active\""},
      {"non-leading field scans",
       {Eq("county", std::string("NY"))},
       "full scan; residual: county = \"NY\""},
      {"primary key range",
       {Ge("uuid", std::string("a"))},
       "primary key range (uuid >= \"a\")"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Plan> plan = PlanOf(*permits, c.predicates);
    ASSERT_TRUE(plan.ok()) << c.name << ": " << plan.status();
    EXPECT_EQ(plan->Describe(), c.plan) << c.name;
  }
}

TEST(PlannerTest, RejectsUnknownFieldsAndWrongTypesNamingTheField) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  auto unknown = PlanOf(*permits, {Eq("colour", std::string("red"))});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("'colour'"), std::string::npos);
  auto wrong = PlanOf(*permits, {Eq("client", int64_t{3})});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("'client'"), std::string::npos);
  auto repeated = PlanOf(*permits, {Eq("tags", std::string("x"))});
  EXPECT_EQ(repeated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(repeated.status().message().find("tags"), std::string::npos);
}

TEST(PlannerTest, AResolvedTableFindsEachFieldByNameAsItsDescriptorDoes) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  TableSchema by_hand;  // no index of names: the descriptor is asked
  by_hand.descriptor = permits->descriptor;
  ASSERT_EQ(permits->fields_by_name.size(),
            static_cast<size_t>(permits->descriptor->field_count()));
  for (int i = 0; i < permits->descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field =
        permits->descriptor->field(i);
    EXPECT_EQ(permits->FindField(field->name()), field);
    EXPECT_EQ(by_hand.FindField(field->name()), field);
  }
  for (const char* absent : {"colour", "", "Client", "address.city"}) {
    EXPECT_EQ(permits->FindField(absent), nullptr) << absent;
    EXPECT_EQ(by_hand.FindField(absent), nullptr) << absent;
  }
}

TEST(PlannerTest, FingerprintIgnoresPredicateOrderButNotValues) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  auto a = PlanOf(*permits, {Eq("client", std::string("A")),
                             Eq("county", std::string("B"))});
  auto b = PlanOf(*permits, {Eq("county", std::string("B")),
                             Eq("client", std::string("A"))});
  auto c = PlanOf(*permits, {Eq("county", std::string("C")),
                             Eq("client", std::string("A"))});
  EXPECT_EQ(a->Fingerprint(*permits), b->Fingerprint(*permits));
  EXPECT_NE(a->Fingerprint(*permits), c->Fingerprint(*permits));
}

// Everything a plan holds that a call reads, as text.
std::string Whole(const TableSchema& table, const Plan& plan) {
  std::string text =
      absl::StrCat(plan.Describe(), " | kind ", static_cast<int>(plan.kind),
                   " | index ", plan.index ? plan.index->name : "-");
  for (const KeyRange& r : plan.ranges) {
    absl::StrAppend(&text, " | range ", r.index ? r.index->name : "pk", " ",
                    absl::CEscape(r.start), " .. ",
                    r.end ? absl::CEscape(*r.end) : "(end)", " fixed ",
                    r.fixed);
  }
  for (const FieldRef& f : plan.order)
    absl::StrAppend(&text, " | order ", f.Name());
  absl::StrAppend(&text, " | backward ", plan.backward, " | residual ",
                  plan.residual.DebugString(), " | where ",
                  plan.where.DebugString(), " | fingerprint ",
                  plan.Fingerprint(table));
  return text;
}

TEST(ReplanTest, AChoiceMadeForOtherValuesGivesThePlanOfPlanningAfresh) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  struct Pair {
    const char* name;
    Query first, second;  // the same shape, other values
  };
  using testing::QueryOf;
  const TimestampValue t100{100, 0}, t200{200, 0}, t50{50, 0};
  const Pair pairs[] = {
      {"full composite",
       QueryOf({Eq("client", std::string("Acme")),
                Eq("county", std::string("NY")),
                Eq("status", int64_t{PENDING})}),
       QueryOf({Eq("client", std::string("Beta")),
                Eq("county", std::string("CA")), Eq("status", int64_t{2})})},
      {"range after equalities",
       QueryOf({Eq("client", std::string("Acme")),
                Eq("county", std::string("NY")), Ge("status", int64_t{1})}),
       QueryOf({Eq("client", std::string("Zed")), Eq("county", std::string("")),
                Ge("status", int64_t{3})})},
      {"bounds that cross leave no range",
       QueryOf({Ge("issued", t100), Lt("issued", t200)}),
       QueryOf({Ge("issued", t200), Lt("issued", t50)})},
      {"primary key lookup and a residual",
       QueryOf(
           {Eq("client", std::string("Acme")), Eq("uuid", std::string("u1"))}),
       QueryOf(
           {Eq("client", std::string("B")), Eq("uuid", std::string("u2"))})},
      {"a prefix", QueryOf({{"client", Op::kPrefix, std::string("Ac")}}),
       QueryOf({{"client", Op::kPrefix, std::string("\xff\xff")}})},
      {"an unindexed field",
       QueryOf({Eq("county_status", std::string("Active"))}),
       QueryOf({Eq("county_status", std::string("Suspended"))})},
      {"with a filter",
       QueryOf({Eq("client", std::string("Acme"))}, "fee_cents >= 100"),
       QueryOf({Eq("client", std::string("Beta"))}, "fee_cents >= 100")},
      {"with an order",
       QueryOf({Eq("client", std::string("Acme"))}, "", "county desc"),
       QueryOf({Eq("client", std::string("Beta"))}, "", "county desc")},
      {"a value coerced to the field's kind",
       QueryOf({Eq("fee_cents", int64_t{5})}),
       QueryOf({Eq("fee_cents", int64_t{-7})})},
  };
  for (const Pair& pair : pairs) {
    SCOPED_TRACE(pair.name);
    Plan first;
    std::optional<PlanChoice> choice;
    ASSERT_TRUE(PlanQuery(*permits, pair.first, &first, &choice).ok());
    ASSERT_TRUE(choice.has_value());
    Plan replanned;
    ASSERT_TRUE(ReplanQuery(*permits, pair.second, *choice, &replanned).ok());
    absl::StatusOr<Plan> afresh = PlanQuery(*permits, pair.second);
    ASSERT_TRUE(afresh.ok()) << afresh.status();
    EXPECT_EQ(Whole(*permits, replanned), Whole(*permits, *afresh));
    EXPECT_NE(Whole(*permits, replanned), Whole(*permits, first));
  }
}

TEST(ReplanTest, BadValuesAndOtherShapesAreAnsweredAsPlanningAfresh) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  Query three;
  three.predicates = {Eq("client", std::string("Acme")),
                      Eq("county", std::string("NY")),
                      Eq("status", int64_t{PENDING})};
  Plan plan;
  std::optional<PlanChoice> choice;
  ASSERT_TRUE(PlanQuery(*permits, three, &plan, &choice).ok());
  ASSERT_TRUE(choice.has_value());
  // A value of the wrong kind: the same error, naming the field.
  Query wrong = three;
  wrong.predicates[0].value = int64_t{3};
  Plan unused;
  absl::Status replanned = ReplanQuery(*permits, wrong, *choice, &unused);
  EXPECT_EQ(replanned, PlanQuery(*permits, wrong).status());
  EXPECT_NE(replanned.message().find("'client'"), std::string::npos);
  // A query of another shape is planned in full, not by the choice.
  for (std::vector<Predicate> other :
       {std::vector<Predicate>{Eq("county", std::string("NY"))},
        std::vector<Predicate>{Eq("uuid", std::string("u")),
                               Eq("county", std::string("NY")),
                               Eq("status", int64_t{1})},
        std::vector<Predicate>{Ge("status", int64_t{1}),
                               Eq("county", std::string("NY")),
                               Eq("client", std::string("A"))}}) {
    Query q;
    q.predicates = other;
    Plan by_choice;
    ASSERT_TRUE(ReplanQuery(*permits, q, *choice, &by_choice).ok());
    absl::StatusOr<Plan> afresh = PlanQuery(*permits, q);
    ASSERT_TRUE(afresh.ok());
    EXPECT_EQ(Whole(*permits, by_choice), Whole(*permits, *afresh));
  }
}

TEST(ReplanTest, AUnionOfAFiltersOrHasNoChoice) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  Query q;
  q.filter =
      "(client = \"Acme\" AND county = \"NY\" AND status = APPROVED) OR "
      "permit_number = \"P-1\"";
  Plan plan;
  std::optional<PlanChoice> choice;
  ASSERT_TRUE(PlanQuery(*permits, q, &plan, &choice).ok());
  EXPECT_EQ(plan.kind, Plan::Kind::kUnion);
  EXPECT_FALSE(choice.has_value());
}

TEST(SchemaTest, RejectsBadSpecsNamingTableMessageAndField) {
  auto specs = testing::PermitTables();
  auto expect_error = [](std::vector<TableSpec> s, const std::string& needle) {
    auto resolved = ResolveSchema(s);
    ASSERT_FALSE(resolved.ok()) << needle;
    EXPECT_NE(resolved.status().message().find(needle), std::string::npos)
        << resolved.status();
    // The plugin's format (model/schema_error.h): file, then message.
    EXPECT_NE(resolved.status().message().find("test_records.proto: message "),
              std::string::npos)
        << resolved.status();
  };
  auto bad = specs;
  bad[0].indexes[0].fields.push_back("nope");
  expect_error(bad, "field 'nope'");
  bad = specs;
  bad[0].indexes[0].fields = {"tags"};
  bad[0].indexes[0].unique = true;  // a repeated field in a unique index
  expect_error(bad, "field 'tags'");
  bad = specs;
  bad[0].primary_key = "fee_cents";
  expect_error(bad, "field 'fee_cents'");
  bad = specs;
  bad[1].parent_table = "nothing";
  expect_error(bad, "parent table 'nothing'");
  bad = specs;
  bad[0].parent_table = "notes";
  bad[0].parent_key = "client";
  expect_error(bad, "cycle");
}

}  // namespace
}  // namespace lmdbapi::storage

namespace lmdbapi::storage {
namespace {

absl::Status OrderError(const TableSchema& table, const std::string& filter,
                        const std::string& order_by) {
  Query query;
  query.filter = filter;
  query.order_by = order_by;
  return PlanQuery(table, query).status();
}

TEST(OrderByTest, RefusesWhatNoIndexCanServeNamingOrderBy) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"colour", "order_by: 'colour': 'colour' is not a field of permits"},
      {"issued up", "order_by: 'issued up': 'up' is not asc or desc"},
      {"issued, issued desc", "order_by: 'issued' is listed twice"},
      {"tags", "order_by: 'tags': a repeated field has no single value"},
      {"fee_cents",
       "order_by: no index of permits serves \"fee_cents\" with this "
       "filter; an index whose fields are [fee_cents] would"},
      {"county, status desc", "order_by: \"county, status desc\" mixes asc"},
  };
  for (const auto& [order_by, message] : cases) {
    absl::Status status = OrderError(*permits, "", order_by);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << order_by;
    EXPECT_EQ(status.message().rfind(message, 0), 0u)
        << order_by << ": " << status.message();
  }
}

TEST(OrderByTest, AnIndexServesTheFieldsAfterThoseHeldEqualEitherWay) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"", "issued desc",
       "index by_issued; order_by issued desc (read backward)"},
      {"", "uuid desc", "full scan; order_by uuid desc (read backward)"},
      {"client = \"Acme\"", "county desc, status desc",
       "index main_composite (client = \"Acme\"); order_by county desc, "
       "status desc (read backward)"},
      {"client = \"Acme\" AND county = \"NY\"", "client, status",
       "index main_composite (client = \"Acme\", county = \"NY\"); "
       "order_by client, status"},
      {"client = (\"A\" OR \"B\") AND county = \"NY\"", "status desc",
       "index main_composite ((client = \"A\" OR client = \"B\"), county "
       "= \"NY\"); 2 ranges; order_by status desc (read backward)"},
      {"client = \"Ac*\"", "client",
       "index main_composite (client = \"Ac*\"); order_by client"},
  };
  for (const auto& [filter, order_by, plan] : cases) {
    Query query;
    query.filter = filter;
    query.order_by = order_by;
    absl::StatusOr<Plan> planned = PlanQuery(*permits, query);
    ASSERT_TRUE(planned.ok())
        << filter << " | " << order_by << ": " << planned.status();
    EXPECT_EQ(planned->Describe(), plan) << filter << " | " << order_by;
  }
}

TEST(UnionPlanTest, DescribesEachBranchByWhatItsRangesHold) {
  absl::StatusOr<TableSchema> permits =
      ResolveTable(testing::PermitTables()[0]);
  ASSERT_TRUE(permits.ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"(client = \"Acme\" AND county = \"NY\" AND status = APPROVED) OR "
       "permit_number = \"P-1\"",
       "union of index main_composite (client = \"Acme\", county = \"NY\", "
       "status = APPROVED) | index by_number (permit_number = \"P-1\"); "
       "residual: (client = \"Acme\" AND county = \"NY\" AND status = "
       "APPROVED) OR permit_number = \"P-1\""},
      {"permit_number = \"P-1\" OR (client = (\"A\" OR \"B\") AND county = "
       "\"NY\" AND status = PENDING)",
       "union of index by_number (permit_number = \"P-1\") | index "
       "main_composite (client = \"A\", county = \"NY\", status = PENDING) | "
       "index main_composite (client = \"B\", county = \"NY\", status = "
       "PENDING); residual: permit_number = \"P-1\" OR ((client = \"A\" OR "
       "client = \"B\") AND county = \"NY\" AND status = PENDING)"},
  };
  for (const auto& [filter, plan] : cases) {
    Query query;
    query.filter = filter;
    absl::StatusOr<Plan> planned = PlanQuery(*permits, query);
    ASSERT_TRUE(planned.ok()) << filter << ": " << planned.status();
    EXPECT_EQ(planned->kind, Plan::Kind::kUnion) << filter;
    EXPECT_EQ(planned->Describe(), plan) << filter;
  }
}

}  // namespace
}  // namespace lmdbapi::storage
