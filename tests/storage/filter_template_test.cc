// A filter asked again with other values (storage/filter_template.h): texts
// that differ only in their values share a shape, a shape's template binds
// another text's values to exactly what parsing that text gives, and the
// plan cache plans such a text without parsing it, to the same plan and
// the same errors as planning it afresh.
#include "storage/filter_template.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "storage/plan_cache.h"
#include "storage/query.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Customer;

const TableSchema& Permits() {
  static const TableSchema* table =
      new TableSchema(*ResolveTable(testing::PermitTables()[0]));
  return *table;
}

// The customers record (nested, repeated, enum, double, Timestamp fields),
// as a table without indexes.
const TableSchema& Customers() {
  static const TableSchema* table = [] {
    auto* t = new TableSchema;
    t->name = "customers";
    t->descriptor = Customer::descriptor();
    t->primary_key = {t->descriptor->FindFieldByName("uuid"),
                      FieldKind::kString};
    return t;
  }();
  return *table;
}

std::string ShapeOf(absl::string_view text) {
  std::optional<FilterText> read = FilterText::Read(text);
  EXPECT_TRUE(read.has_value()) << text;
  return read.has_value() ? read->shape : "";
}

// Texts of one shape: the first, then others with other values.
struct Family {
  const TableSchema* table;
  std::vector<std::string> texts;
};

std::vector<Family> Families() {
  return {
      {&Permits(),
       {R"(client = "C1")", R"(client = "C22")", R"(client = 'x')"}},
      {&Permits(), {"client = C1 county = NY", "client = Zed county = Kings"}},
      {&Permits(),
       {R"(client = "Ac*" AND county != "B*")",
        R"(client = "Zz*" AND county != "Q*")"}},
      {&Permits(),
       {"status = (APPROVED OR PENDING) AND fee_cents >= 100",
        "status = (REJECTED OR 1) AND fee_cents >= -7"}},
      {&Permits(),
       {"fee_cents > 1 AND fee_cents < 10 AND area <= 2.5",
        "fee_cents > -40 AND fee_cents < 1e3 AND area <= -0"}},
      {&Permits(),
       {R"(issued >= "2024-01-02T03:04:05Z" AND active)",
        R"(issued >= "1999-12-31T23:59:59.5Z" AND active)"}},
      {&Permits(),
       {"NOT (client = A OR -active) AND floors = 3",
        "NOT (client = B OR -active) AND floors = 0"}},
      {&Permits(),
       {"tags : vip AND tags : (a AND b)", "tags : x AND tags : (c AND d)"}},
      {&Customers(),
       {R"(address.city = "Paris" AND tier = GOLD AND balance > 2)",
        R"(address.city = "Lima" AND tier = 1 AND balance > -3.25)"}},
      {&Customers(), {"scores : 5 OR points = 7", "scores : -1 OR points = 0"}},
  };
}

TEST(FilterTemplateTest, TextsThatDifferOnlyInTheirValuesShareAShape) {
  for (const Family& family : Families()) {
    for (const std::string& text : family.texts) {
      EXPECT_EQ(ShapeOf(text), ShapeOf(family.texts[0])) << text;
    }
  }
}

TEST(FilterTemplateTest, AnythingButAValueMakesAnotherShape) {
  const std::string shape = ShapeOf(R"(client = "C1")");
  for (const char* other : {
           "client = C1",          // a bare word, not a quoted string
           R"(client = "C1*")",    // a prefix match
           R"(client = "C\*1*")",  // an escaped star is text; this one ends
           R"(county = "C1")",     // another field
           R"(client != "C1")",    // another operator
           R"(client = ("C1"))",   // a list of one
           R"((client = "C1"))",   // parentheses
           R"(client = "C1" AND active)",
       }) {
    EXPECT_NE(ShapeOf(other), shape) << other;
  }
  // A keyword where a value stands is not a value: no shape shared with one.
  EXPECT_NE(ShapeOf("client = AND"), ShapeOf("client = ANDY"));
  EXPECT_NE(ShapeOf("client = -x"), ShapeOf("client = -5"));
}

TEST(FilterTemplateTest, BindingATextsValuesGivesWhatParsingItGives) {
  for (const Family& family : Families()) {
    std::optional<FilterText> first = FilterText::Read(family.texts[0]);
    ASSERT_TRUE(first.has_value());
    auto made = FilterTemplate::Of(*family.table, family.texts[0], *first);
    ASSERT_NE(made, nullptr) << family.texts[0];
    for (const std::string& text : family.texts) {
      std::optional<FilterText> read = FilterText::Read(text);
      ASSERT_TRUE(read.has_value());
      std::optional<Expr> bound = made->Bind(*read);
      absl::StatusOr<Expr> parsed = ParseFilter(*family.table, text);
      ASSERT_TRUE(parsed.ok()) << parsed.status();
      ASSERT_TRUE(bound.has_value()) << text;
      EXPECT_EQ(bound->DebugString(), parsed->DebugString()) << text;
    }
  }
}

TEST(FilterTemplateTest, AValueThatDoesNotBindIsLeftToTheParser) {
  const std::string text = "fee_cents = 5 AND status = APPROVED";
  auto made = FilterTemplate::Of(Permits(), text, *FilterText::Read(text));
  ASSERT_NE(made, nullptr);
  for (const char* bad : {"fee_cents = abc AND status = APPROVED",
                          "fee_cents = 5 AND status = GRANTED",
                          "fee_cents = 1.5 AND status = APPROVED"}) {
    std::optional<FilterText> read = FilterText::Read(bad);
    ASSERT_TRUE(read.has_value());
    ASSERT_EQ(read->shape, FilterText::Read(text)->shape) << bad;
    EXPECT_FALSE(made->Bind(*read).has_value()) << bad;
  }
}

TEST(FilterTemplateTest, ATextThatDoesNotLexOrBindHasNoTemplate) {
  EXPECT_FALSE(FilterText::Read(R"(client = "open)").has_value());
  EXPECT_FALSE(FilterText::Read(std::string(5000, 'a')).has_value());
  const std::string unknown = "colour = red";
  EXPECT_EQ(FilterTemplate::Of(Permits(), unknown, *FilterText::Read(unknown)),
            nullptr);
}

Query WithFilter(std::string filter) {
  Query q;
  q.filter = std::move(filter);
  return q;
}

TEST(PlanCacheFilterTest, ANewValueOfAKnownFilterShapeIsPlannedAsAfresh) {
  PlanCache cache;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {R"(client = "C1" AND county = "NY")",
       R"(client = "C2" AND county = "Kings")"},
      {R"(client = "C1" AND county = "NY" AND fee_cents > 5)",
       R"(client = "D9" AND county = "Bronx" AND fee_cents > -2)"},
      {"issued >= \"2024-01-02T03:04:05Z\" AND status = APPROVED",
       "issued >= \"2020-01-02T03:04:05Z\" AND status = REJECTED"},
      {R"(client = "Ac*")", R"(client = "Bd*")"},
  };
  for (const auto& [known, other] : pairs) {
    auto first = cache.Prepare(Permits(), WithFilter(known));
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_NE((*first)->filter, nullptr) << known;
    auto replanned = cache.Prepare(Permits(), WithFilter(other));
    ASSERT_TRUE(replanned.ok()) << replanned.status();
    Plan fresh;
    std::optional<PlanChoice> choice;
    ASSERT_TRUE(PlanQuery(Permits(), WithFilter(other), &fresh, &choice).ok());
    const Plan& plan = (*replanned)->plan;
    EXPECT_EQ((*replanned)->description, fresh.Describe()) << other;
    EXPECT_EQ(plan.where.DebugString(), fresh.where.DebugString()) << other;
    EXPECT_EQ(plan.residual.DebugString(), fresh.residual.DebugString());
    ASSERT_EQ(plan.ranges.size(), fresh.ranges.size()) << other;
    for (size_t i = 0; i < plan.ranges.size(); ++i) {
      EXPECT_EQ(plan.ranges[i].start, fresh.ranges[i].start) << other;
      EXPECT_EQ(plan.ranges[i].end, fresh.ranges[i].end) << other;
    }
  }
}

TEST(PlanCacheFilterTest, ABadValueOfAKnownFilterShapeGetsTheParsersError) {
  const std::string known = "fee_cents = 5 AND client = \"C1\"";
  const std::string bad = "fee_cents = abc AND client = \"C1\"";
  PlanCache warm, cold;
  ASSERT_TRUE(warm.Prepare(Permits(), WithFilter(known)).ok());
  absl::Status from_warm = warm.Prepare(Permits(), WithFilter(bad)).status();
  absl::Status from_cold = cold.Prepare(Permits(), WithFilter(bad)).status();
  EXPECT_EQ(from_warm.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(from_warm, from_cold);
  EXPECT_NE(from_warm.message().find("fee_cents"), std::string::npos)
      << from_warm;
}

}  // namespace
}  // namespace lmdbapi::storage
