// AIP-160 filter strings: parsed and bound to the fields of the Permit and
// Customer test records, evaluated on records (parsed, and as stored bytes
// by WireFilter), printed canonically, and refused with messages that say
// where and what is wrong.
#include "storage/filter_expr.h"

#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "storage/filter_bind.h"
#include "storage/filter_parser.h"
#include "storage/wire_filter.h"
#include "tests/storage/test_tables.h"

namespace lmdbapi::storage {
namespace {

using test::Customer;
using test::Permit;

const TableSchema& Permits() {
  static const TableSchema* table =
      new TableSchema(*ResolveTable(testing::PermitTables()[0]));
  return *table;
}

// The customers table, built by hand: ResolveTable refuses Customer while
// the generated filter request would clash with its `page_size` and
// `filter` fields (issue 15, item 7).
TableSchema CustomerSchema() {
  TableSchema table;
  table.name = "customers";
  table.descriptor = Customer::descriptor();
  table.primary_key = {table.descriptor->FindFieldByName("uuid"),
                       FieldKind::kString};
  return table;
}

const TableSchema& Customers() {
  static const TableSchema* table = new TableSchema(CustomerSchema());
  return *table;
}

// Customers whose `points` is the server's revision and `joined` its
// create_time.
const TableSchema& KeptCustomers() {
  static const TableSchema* table = [] {
    auto* schema = new TableSchema(CustomerSchema());
    schema->revision = {schema->descriptor->FindFieldByName("points"),
                        FieldKind::kInt64};
    schema->create_time = {schema->descriptor->FindFieldByName("joined"),
                           FieldKind::kTimestamp};
    return schema;
  }();
  return *table;
}

Permit SamplePermit() {
  Permit p;
  p.set_uuid("u1");
  p.set_client("Acme Builders");
  p.set_county("NY");
  p.set_status(test::APPROVED);
  p.mutable_issued()->set_seconds(1704067200);  // 2024-01-01T00:00:00Z
  p.mutable_issued()->set_nanos(500000000);
  p.set_fee_cents(-250);
  p.set_area(12.5);
  p.set_active(true);
  p.set_floors(3);
  p.set_blob(std::string("a\0b", 3));
  p.add_tags("vip");
  p.add_tags("new*");
  p.set_description("say \"hi\" \\ bye");
  return p;
}

Customer SampleCustomer() {
  Customer c;
  c.set_uuid("c1");
  c.set_name("Ada");
  c.add_tags("gold");
  c.add_tags("early");
  c.mutable_address()->set_city("Oslo");
  c.mutable_address()->set_country("NO");
  c.set_tier(test::SILVER);
  c.set_balance(99.5);
  c.set_points(1200);
  c.add_scores(5);
  c.add_scores(-7);
  c.set_page_size(10);
  c.set_filter("x");
  return c;
}

// Whether `filter` holds for `record`; a filter that does not parse fails
// the test.
bool Holds(const TableSchema& table, const std::string& filter,
           const google::protobuf::Message& record) {
  absl::StatusOr<Expr> expr = ParseFilter(table, filter);
  if (!expr.ok()) {
    ADD_FAILURE() << filter << ": " << expr.status();
    return false;
  }
  return expr->Matches(record);
}

std::string Canonical(const TableSchema& table, const std::string& filter) {
  absl::StatusOr<Expr> expr = ParseFilter(table, filter);
  if (!expr.ok()) return "ERROR " + std::string(expr.status().message());
  return expr->DebugString();
}

// The message of the error `filter` gives, which must be INVALID_ARGUMENT.
std::string Error(const TableSchema& table, const std::string& filter) {
  absl::StatusOr<Expr> expr = ParseFilter(table, filter);
  if (expr.ok()) return "OK " + expr->DebugString();
  EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument) << filter;
  return std::string(expr.status().message());
}

struct Case {
  std::string filter;
  bool holds;
};

void ExpectCases(const TableSchema& table,
                 const google::protobuf::Message& record,
                 const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(Holds(table, c.filter, record), c.holds) << c.filter;
  }
}

TEST(FilterExprTest, EmptyOrBlankFilterMatchesEverything) {
  for (const char* text : {"", " ", " \t\r\n "}) {
    absl::StatusOr<Expr> expr = ParseFilter(Permits(), text);
    ASSERT_TRUE(expr.ok()) << expr.status();
    EXPECT_EQ(expr->kind, Expr::Kind::kTrue);
    EXPECT_TRUE(expr->Matches(SamplePermit()));
  }
}

TEST(FilterExprTest, StringFieldsCompareWithEachOperatorInByteOrder) {
  ExpectCases(Permits(), SamplePermit(),
              {{"client = \"Acme Builders\"", true},
               {"client = 'Acme Builders'", true},
               {"county = NY", true},
               {"county = ny", false},
               {"county != \"NY\"", false},
               {"county < \"NZ\"", true},
               {"county <= \"NY\"", true},
               {"county > \"NX\"", true},
               {"county >= \"O\"", false},
               {"description = \"say \\\"hi\\\" \\\\ bye\"", true},
               {"blob = \"a\\x00b\"", true},
               {"permit_number = \"\"", true}});
}

TEST(FilterExprTest, NumbersConvertToTheFieldsKind) {
  ExpectCases(Permits(), SamplePermit(),
              {{"fee_cents = -250", true},
               {"fee_cents != -250", false},
               {"fee_cents < 0", true},
               {"fee_cents <= -250", true},
               {"fee_cents > -251", true},
               {"fee_cents >= -2.5e2", true},
               {"fee_cents = \"-250\"", true},
               {"floors = 3", true},
               {"floors > 2.0", true},
               {"area = 12.5", true},
               {"area > 12", true},
               {"area < 1.25e1", false},
               {"area >= .5", true}});
  ExpectCases(Customers(), SampleCustomer(),
              {{"page_size = 10", true}, {"balance > 99", true}});
}

TEST(FilterExprTest, BoolFieldsCompareAndStandAlone) {
  ExpectCases(Permits(), SamplePermit(),
              {{"active = true", true},
               {"active = false", false},
               {"active != false", true},
               {"active", true},
               {"-active", false},
               {"NOT active", false},
               {"active AND fee_cents < 0", true}});
  EXPECT_EQ(Canonical(Permits(), "active"), "active = true");
}

TEST(FilterExprTest, EnumsMatchByNameOrNumberAndOrderByNumber) {
  ExpectCases(Permits(), SamplePermit(),
              {{"status = APPROVED", true},
               {"status = \"APPROVED\"", true},
               {"status = 2", true},
               {"status != PENDING", true},
               {"status > PENDING", true},
               {"status >= REJECTED", false}});
  EXPECT_EQ(Canonical(Permits(), "status = 2"), "status = APPROVED");
}

TEST(FilterExprTest, TimestampsCompareAsRfc3339Instants) {
  ExpectCases(Permits(), SamplePermit(),
              {{"issued = \"2024-01-01T00:00:00.5Z\"", true},
               {"issued = \"2024-01-01T01:00:00.500+01:00\"", true},
               {"issued > \"2024-01-01T00:00:00Z\"", true},
               {"issued < '2023-12-31T23:59:59Z'", false},
               {"issued <= \"2024-01-01T00:00:00.500000001Z\"", true}});
  EXPECT_EQ(Canonical(Permits(), "issued >= \"2024-01-01T01:00:00+01:00\""),
            "issued >= \"2024-01-01T00:00:00Z\"");
}

TEST(FilterExprTest, NestedFieldsReadDefaultsWhenTheMessageIsUnset) {
  const Customer with = SampleCustomer();
  ExpectCases(Customers(), with,
              {{"address.city = \"Oslo\"", true},
               {"address.city = Oslo AND address.country = NO", true},
               {"address.street = \"\"", true},
               {"address.city > \"P\"", false}});
  Customer without = with;
  without.clear_address();
  ExpectCases(Customers(), without,
              {{"address.city = \"\"", true},
               {"address.city = \"Oslo\"", false},
               {"NOT address.city = \"Oslo\"", true}});
}

TEST(FilterExprTest, HasOnARepeatedFieldMatchesAnyElement) {
  ExpectCases(Customers(), SampleCustomer(),
              {{"tags:\"gold\"", true},
               {"tags : early", true},
               {"tags:silver", false},
               {"tags:\"go*\"", true},
               {"tags:*", true},
               {"NOT tags:gold", false},
               {"scores:-7", true},
               {"scores:5.0", true},
               {"scores:6", false}});
  Customer empty = SampleCustomer();
  empty.clear_tags();
  ExpectCases(Customers(), empty, {{"tags:*", false}, {"-tags:gold", true}});
}

TEST(FilterExprTest, TrailingStarIsAPrefixMatchOnStrings) {
  ExpectCases(Permits(), SamplePermit(),
              {{"client = \"Ac*\"", true},
               {"client = Ac*", true},
               {"client = \"Acme Builders*\"", true},
               {"client = \"Be*\"", false},
               {"client = \"*\"", true},
               {"client != \"Ac*\"", false},
               {"client = \"Ac\\*\"", false},
               {"tags:\"new\\*\"", true},
               {"tags:\"ne*\"", true}});
  absl::StatusOr<Expr> prefix = ParseFilter(Permits(), "client = \"Ac*\"");
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->predicate.op, Op::kPrefix);
  EXPECT_EQ(std::get<std::string>(prefix->predicate.value), "Ac");
}

TEST(FilterExprTest, OrBindsTighterThanAndAndNotTightest) {
  // a AND b OR c is a AND (b OR c).
  EXPECT_EQ(Canonical(Permits(),
                      "county = NY AND status = PENDING OR "
                      "status = APPROVED"),
            "county = \"NY\" AND (status = PENDING OR status = APPROVED)");
  EXPECT_TRUE(Holds(Permits(),
                    "county = NY AND status = PENDING OR status = APPROVED",
                    SamplePermit()));
  EXPECT_FALSE(Holds(Permits(),
                     "county = CA AND status = PENDING OR status = APPROVED",
                     SamplePermit()));
  // Juxtaposition is AND, and also looser than OR.
  EXPECT_EQ(Canonical(Permits(), "county = NY status = PENDING OR active"),
            "county = \"NY\" AND (status = PENDING OR active = true)");
  EXPECT_EQ(Canonical(Permits(), "NOT active OR floors = 3"),
            "NOT active = true OR floors = 3");
  EXPECT_TRUE(Holds(Permits(), "NOT active OR floors = 3", SamplePermit()));
}

TEST(FilterExprTest, ParenthesesGroupAndNestedGroupsFlatten) {
  EXPECT_EQ(Canonical(Permits(), "(county = CA OR county = NY) AND floors = 3"),
            "(county = \"CA\" OR county = \"NY\") AND floors = 3");
  EXPECT_EQ(
      Canonical(Permits(), "((a_b_c_missing_is_not_here = 1))")
          .rfind("ERROR filter: column 3: 'a_b_c_missing_is_not_here'", 0),
      0u);
  EXPECT_EQ(Canonical(Permits(), "floors = 1 AND (floors = 2 AND floors = 3)"),
            "floors = 1 AND floors = 2 AND floors = 3");
  EXPECT_EQ(Canonical(Permits(), "(floors = 1 OR (floors = 2 OR floors = 3))"),
            "floors = 1 OR floors = 2 OR floors = 3");
  EXPECT_EQ(Canonical(Permits(), "-(floors = 1 OR floors = 3)"),
            "NOT (floors = 1 OR floors = 3)");
  EXPECT_FALSE(Holds(Permits(), "-(floors = 1 OR floors = 3)", SamplePermit()));
  EXPECT_TRUE(
      Holds(Permits(), "NOT (NOT (floors = 3 AND active))", SamplePermit()));
}

TEST(FilterExprTest, ValueListsCompareTheFieldWithEachValue) {
  EXPECT_EQ(Canonical(Permits(), "county = NY AND status = (APPROVED OR 1)"),
            "county = \"NY\" AND (status = APPROVED OR status = PENDING)");
  EXPECT_EQ(Canonical(Customers(), "tags:(gold AND \"ea*\")"),
            "tags : \"gold\" AND tags : \"ea*\"");
  EXPECT_EQ(Canonical(Permits(), "status != (REJECTED)"), "status != REJECTED");
  ExpectCases(Permits(), SamplePermit(),
              {{"status = (PENDING OR APPROVED)", true},
               {"status = (PENDING OR REJECTED)", false},
               {"-county = (CA OR NY)", false}});
  ExpectCases(
      Customers(), SampleCustomer(),
      {{"tags:(gold AND early)", true}, {"tags:(gold AND vip)", false}});
  EXPECT_EQ(Error(Permits(), "status = (APPROVED OR PENDING AND REJECTED)"),
            "filter: column 31: expected OR or ')' to close the '(' at column "
            "10, found 'AND'");
  EXPECT_EQ(Error(Permits(), "status != (APPROVED OR PENDING)"),
            "filter: column 8: '!=' with a list of values is ambiguous; write "
            "NOT status = (…) for none of them");
  EXPECT_EQ(Error(Permits(), "status = ()"),
            "filter: column 11: expected a value after '(', found ')'");
  EXPECT_EQ(Error(Permits(), "status = (APPROVED"),
            "filter: column 19: expected OR, AND or ')' to close the '(' at "
            "column 10, found end of input");
  EXPECT_EQ(Error(Permits(), "status = (APPROVED OR 7)"),
            "filter: column 23: field 'status' is an enum "
            "lmdbapi.test.PermitStatus field; '7' is not a value of "
            "lmdbapi.test.PermitStatus (PERMIT_STATUS_UNSPECIFIED, PENDING, "
            "APPROVED, REJECTED)");
}

TEST(FilterExprTest, DebugStringIsCanonicalAndParsesToItself) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"client=\"Acme\"", "client = \"Acme\""},
      {"client = 'a\"b\\\\c\\*d'", "client = \"a\\\"b\\\\c\\*d\""},
      {"client = \"x\\ty\\x01\"", "client = \"x\\ty\\x01\""},
      {"client = Ac*", "client = \"Ac*\""},
      {"client != Ac*", "NOT client = \"Ac*\""},
      {"fee_cents >= 1e3", "fee_cents >= 1000"},
      {"area = 0.1", "area = 0.1"},
      {"area = 3", "area = 3"},
      {"area < -1.5e-7", "area < -1.5e-07"},
      {"floors <= 7", "floors <= 7"},
      {"status = 3", "status = REJECTED"},
      {"issued < \"2024-02-03T04:05:06.007Z\"",
       "issued < \"2024-02-03T04:05:06.007Z\""},
      {"tags:vip", "tags : \"vip\""},
      {"NOT (floors = 1 floors = 2)", "NOT (floors = 1 AND floors = 2)"},
      {"-active", "NOT active = true"},
      {"a_missing_field", ""},  // an error: skipped below
  };
  for (const auto& [text, canonical] : cases) {
    absl::StatusOr<Expr> expr = ParseFilter(Permits(), text);
    if (canonical.empty()) continue;
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status();
    EXPECT_EQ(expr->DebugString(), canonical) << text;
    EXPECT_EQ(Canonical(Permits(), canonical), canonical) << text;
  }
  const std::string nested =
      "address.city = \"Oslo\" AND (tier = GOLD OR -tags:\"vip\" OR balance "
      "> 1.5)";
  EXPECT_EQ(Canonical(Customers(), nested),
            "address.city = \"Oslo\" AND (tier = GOLD OR NOT tags : \"vip\" "
            "OR balance > 1.5)");
}

TEST(FilterExprTest, SyntaxErrorsGiveColumnExpectedAndFound) {
  EXPECT_EQ(Error(Permits(), "county = NY AND client ="),
            "filter: column 25: expected a value after '=', found end of "
            "input");
  EXPECT_EQ(Error(Permits(), "(county = NY"),
            "filter: column 13: expected ')' to close the '(' at column 1, "
            "found end of input");
  EXPECT_EQ(Error(Permits(), "county = \"NY"),
            "filter: column 10: expected a closing \" for the string that "
            "starts here, found end of input");
  EXPECT_EQ(Error(Permits(), "county = NY)"),
            "filter: column 12: found ')' without a matching '('");
  EXPECT_EQ(Error(Permits(), "county NY"),
            "filter: column 8: expected a comparison operator (= != < <= > "
            ">= :) after 'county', found 'NY' (only a bool field may stand "
            "alone)");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"AND county = NY",
       "column 1: expected a comparison or '(', found 'AND'"},
      {"county = NY AND",
       "column 16: expected a comparison or '(' after "
       "'AND', found end of input"},
      {"county = NY OR )",
       "column 16: expected a comparison or '(' after "
       "'OR', found ')'"},
      {"NOT", "column 4: expected a comparison or '(' after 'NOT', found end"},
      {"- -active",
       "column 3: expected a comparison or '(' after '-', found "
       "'-'"},
      {"()", "column 2: expected a comparison or '(' after '(', found ')'"},
      {"county = = NY", "column 10: expected a value after '=', found '='"},
      {"county = OR", "column 10: expected a value after '=', found 'OR'"},
      {"county = NY = CA",
       "column 13: expected AND, OR or end of input, "
       "found '='"},
      {"county ! NY", "column 8: expected '!=', found '!'"},
      {"county = \"N\\qY\"", "column 12: unknown escape '\\q' in a string"},
      {"county = \"\\x4\"", "column 11: expected two hexadecimal digits"},
      {"1county = NY", "column 1: expected a field name, found '1county'"},
      {"county..x = NY", "column 1: expected a field name, found 'county..x'"},
      {"county = NY, active",
       "column 12: expected AND, OR or end of input, "
       "found ','"},
      {"Zürich = 1 = 2", "column 1: expected a field name, found 'Zürich'"},
      {"county = \"Zür\" \"x\xff\"",
       "column 16: expected AND, OR or end of input, found \"x\\xff\""},
  };
  for (const auto& [text, want] : cases) {
    const std::string message = Error(Permits(), text);
    EXPECT_EQ(message.substr(0, want.size() + 8), "filter: " + want) << text;
  }
}

TEST(FilterExprTest, SyntaxErrorsFoundTextIsShortened) {
  EXPECT_EQ(Error(Permits(), "county = NY " + std::string(100, ')')),
            "filter: column 13: found ')' without a matching '('");
  EXPECT_EQ(Error(Permits(), "county = NY \"" + std::string(60, 'y') + "\""),
            "filter: column 13: expected AND, OR or end of input, found \"" +
                std::string(39, 'y') + "…");
}

TEST(FilterExprTest, UnknownFieldsAreNamedWithTheTable) {
  EXPECT_EQ(Error(Customers(), "adress.city = \"Oslo\""),
            "filter: column 1: 'adress' is not a field of customers "
            "(lmdbapi.test.Customer); did you mean 'address'?");
  EXPECT_EQ(Error(Customers(), "tier = GOLD AND address.cty = \"Oslo\""),
            "filter: column 17: 'address.cty' is not a field of customers "
            "(lmdbapi.test.Customer): lmdbapi.test.Address has no field "
            "'cty'; did you mean 'address.city'?");
  EXPECT_EQ(Error(Permits(), "feeCents = 1"),
            "filter: column 1: 'feeCents' is not a field of permits "
            "(lmdbapi.test.Permit); did you mean 'fee_cents'?");
  EXPECT_EQ(Error(Permits(), "zzz = 1"),
            "filter: column 1: 'zzz' is not a field of permits "
            "(lmdbapi.test.Permit)");
  EXPECT_EQ(Error(Permits(), "county = NY and active"),
            "filter: column 13: 'and' is not a field of permits "
            "(lmdbapi.test.Permit); AND, OR and NOT are written in upper "
            "case");
}

TEST(FilterExprTest, PathsGoThroughSingularMessagesToComparableLeaves) {
  EXPECT_EQ(Error(Permits(), "issued.seconds > 5"),
            "filter: column 1: 'issued.seconds' is not a field: 'issued' is a "
            "google.protobuf.Timestamp field, compared whole: issued > "
            "\"2024-01-02T03:04:05Z\"");
  EXPECT_EQ(Error(Permits(), "client.name = 1"),
            "filter: column 1: 'client.name' is not a field: 'client' is a "
            "string field, not a message");
  EXPECT_EQ(Error(Customers(), "tags.x = 1"),
            "filter: column 1: 'tags.x' is not a field: 'tags' is a repeated "
            "field; filters look into singular messages only");
  EXPECT_EQ(Error(Customers(), "address = \"Oslo\""),
            "filter: column 1: field 'address' is a message field "
            "(lmdbapi.test.Address); compare one of its fields, such as "
            "'address.street'");
}

TEST(FilterExprTest, ServerMaintainedFieldsAreRefused) {
  EXPECT_EQ(Error(KeptCustomers(), "points > 3"),
            "filter: column 1: field 'points' is maintained by the server and "
            "not stored in records; filters cannot use it");
  EXPECT_EQ(
      Error(KeptCustomers(), "name = x OR joined > \"2024-01-01T00:00:00Z\"")
          .rfind("filter: column 13: field 'joined' is maintained", 0),
      0u);
  EXPECT_TRUE(ParseFilter(KeptCustomers(), "balance > 3").ok());
}

TEST(FilterExprTest, ValuesOfTheWrongTypeNameTheField) {
  EXPECT_EQ(Error(Permits(), "fee_cents = \"abc\""),
            "filter: column 13: field 'fee_cents' is an int64 field; \"abc\" "
            "is not an integer");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fee_cents = 1.5",
       "column 13: field 'fee_cents' is an int64 field; "
       "'1.5' is not an integer"},
      {"fee_cents = 0x10",
       "column 13: field 'fee_cents' is an int64 field; "
       "'0x10' is not an integer"},
      {"fee_cents = 9223372036854775808",
       "column 13: field 'fee_cents' is an int64 field; "
       "'9223372036854775808' is out of range (-9223372036854775808 to "
       "9223372036854775807)"},
      {"floors = -1",
       "column 10: field 'floors' is a uint32 field; '-1' is "
       "out of range (0 to 4294967295)"},
      {"floors = 4294967296",
       "column 10: field 'floors' is a uint32 field; "
       "'4294967296' is out of range (0 to "
       "4294967295)"},
      {"area = abc",
       "column 8: field 'area' is a double field; 'abc' is not "
       "a number"},
      {"area = inf",
       "column 8: field 'area' is a double field; 'inf' is not "
       "a number"},
      {"area = 1e999",
       "column 8: field 'area' is a double field; '1e999' is "
       "out of range for a double"},
      {"active = yes",
       "column 10: field 'active' is a bool field; 'yes' is "
       "not true or false"},
      {"status = APPROVD",
       "column 10: field 'status' is an enum lmdbapi.test.PermitStatus field; "
       "'APPROVD' is not a value of lmdbapi.test.PermitStatus "
       "(PERMIT_STATUS_UNSPECIFIED, PENDING, APPROVED, REJECTED)"},
      {"status = 9",
       "column 10: field 'status' is an enum "
       "lmdbapi.test.PermitStatus field; '9' is not a value of "
       "lmdbapi.test.PermitStatus (PERMIT_STATUS_UNSPECIFIED, "
       "PENDING, APPROVED, REJECTED)"},
      {"issued > 2024-01-01",
       "column 10: field 'issued' is a google.protobuf.Timestamp field; "
       "'2024-01-01' is not an RFC 3339 timestamp such as "
       "\"2024-01-02T03:04:05Z\" (quoted)"},
      {"issued > \"10000-01-01T00:00:00Z\"",
       "column 10: field 'issued' is a google.protobuf.Timestamp field; "
       "\"10000-01-01T00:00:00Z\" is outside the years 0001 to 9999"},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(Error(Permits(), text), "filter: " + want) << text;
  }
  EXPECT_EQ(Error(Customers(), "page_size = 3000000000"),
            "filter: column 13: field 'page_size' is an int32 field; "
            "'3000000000' is out of range (-2147483648 to 2147483647)");
}

TEST(FilterExprTest, OperatorsTheFieldsTypeDoesNotSupportNameTheField) {
  EXPECT_EQ(Error(Permits(), "active < true"),
            "filter: column 8: field 'active' is a bool field; '<' does not "
            "apply to it (use = or !=)");
  EXPECT_EQ(Error(Permits(), "client:\"Acme\""),
            "filter: column 7: field 'client' is not repeated; ':' (has) "
            "applies to repeated fields only: compare with '=', as in client "
            "= \"Acme\"");
  EXPECT_EQ(Error(Customers(), "tags = \"vip\""),
            "filter: column 6: field 'tags' is repeated; '=' does not apply "
            "to it: use ':' to match any element, as in tags:\"vip\"");
  EXPECT_EQ(Error(Customers(), "scores > 3")
                .rfind("filter: column 8: field 'scores' is repeated; '>'", 0),
            0u);
  EXPECT_EQ(Error(Customers(), "tags")
                .rfind("filter: column 5: expected a comparison operator", 0),
            0u);
}

TEST(FilterExprTest, StarsOutsideAStringPrefixAreRefused) {
  EXPECT_EQ(Error(Permits(), "fee_cents = 5*"),
            "filter: column 13: field 'fee_cents' is an int64 field; a '*' "
            "(prefix match) applies to string fields only");
  EXPECT_EQ(Error(Permits(), "client = \"A*c\""),
            "filter: column 10: field 'client': '*' may only end a string "
            "value, as a prefix match (\"Ac*\"); write \\* for a literal '*'");
  EXPECT_EQ(Error(Permits(), "client >= \"Ac*\""),
            "filter: column 11: field 'client': a prefix match (a value "
            "ending in '*') goes with '=', '!=' or ':', not '>='");
  EXPECT_EQ(Error(Permits(), "issued = \"2024*\"")
                .rfind("filter: column 10: field 'issued' is a "
                       "google.protobuf.Timestamp field; a '*'",
                       0),
            0u);
}

TEST(FilterExprTest, LimitsOnLengthDepthAndComparisonsNameTheFilter) {
  std::string spaces(filter::kMaxFilterBytes, ' ');
  EXPECT_TRUE(ParseFilter(Permits(), spaces).ok());
  EXPECT_EQ(Error(Permits(), spaces + " "),
            "filter: 4097 bytes is longer than the limit of 4096 bytes");

  std::string deep = std::string(32, '(') + "active" + std::string(32, ')');
  EXPECT_EQ(Canonical(Permits(), deep), "active = true");
  EXPECT_EQ(Error(Permits(), "(" + deep + ")"),
            "filter: column 33: parentheses nest more than 32 deep");
  EXPECT_EQ(Error(Permits(), std::string(4000, '(')),
            "filter: column 33: parentheses nest more than 32 deep");

  std::string many = "floors = 0";
  for (int i = 1; i < filter::kMaxFilterComparisons; ++i) {
    many += " OR floors = " + std::to_string(i);
  }
  EXPECT_TRUE(ParseFilter(Permits(), many).ok());
  std::string list = "floors = (0";
  for (int i = 1; i < filter::kMaxFilterComparisons; ++i) {
    list += " OR " + std::to_string(i);
  }
  EXPECT_TRUE(ParseFilter(Permits(), list + ")").ok());
  EXPECT_EQ(Error(Permits(), list + " OR 200)"),
            "filter: column " + std::to_string(list.size() + 5) +
                ": more than 200 comparisons in one filter");
  EXPECT_EQ(Error(Permits(), many + " OR active"),
            "filter: column " + std::to_string(many.size() + 5) +
                ": more than 200 comparisons in one filter");
}

TEST(FilterExprTest, AndOrNotNestAtMost32Deep) {
  // Each level is an AND holding an OR: two levels per parenthesis.
  std::string nested = "floors = 0";
  for (int i = 1; i <= 16; ++i) {
    const std::string n = std::to_string(i);
    nested = "floors = " + n + " AND floors = " + n + " OR (" + nested + ")";
  }
  const std::string canonical = Canonical(Permits(), nested);
  EXPECT_EQ(canonical.rfind("floors = 16 AND (floors = 16 OR (floors = 15 ", 0),
            0u);
  EXPECT_EQ(Canonical(Permits(), canonical), canonical);
  EXPECT_EQ(Error(Permits(), "floors = 17 AND floors = 17 OR (" + nested + ")"),
            "filter: AND, OR and NOT nest more than 32 deep (each AND within "
            "an OR, OR within an AND or NOT of a group is a level)");
}

TEST(FilterExprTest, CanonicalTextMayOutgrowTheLengthLimit) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "-active ";
  const std::string canonical = Canonical(Permits(), text);
  ASSERT_GT(canonical.size(), filter::kMaxFilterBytes);
  EXPECT_EQ(Error(Permits(), canonical),
            "filter: " + std::to_string(canonical.size()) +
                " bytes is longer than the limit of 4096 bytes");
  auto syntax = filter::ParseFilterSyntax(canonical, canonical.size());
  ASSERT_TRUE(syntax.ok() && syntax->has_value()) << syntax.status();
  absl::StatusOr<Expr> again = filter::BindFilter(Permits(), **syntax);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->DebugString(), canonical);
}

TEST(FilterExprTest, ExprOrAndNotBuildFlatTrees) {
  absl::StatusOr<Expr> a = ParseFilter(Permits(), "floors = 1");
  absl::StatusOr<Expr> b = ParseFilter(Permits(), "floors = 2 OR floors = 3");
  ASSERT_TRUE(a.ok() && b.ok());
  Expr any = Expr::Or({*a, *b});
  EXPECT_EQ(any.children.size(), 3u);
  EXPECT_EQ(Expr::Or({*a}).DebugString(), "floors = 1");
  EXPECT_EQ(Expr::Or({*a, Expr()}).kind, Expr::Kind::kTrue);
  EXPECT_EQ(Expr::Not(any).DebugString(),
            "NOT (floors = 1 OR floors = 2 OR floors = 3)");
  EXPECT_EQ(Expr::And({Expr::Not(*a), any}).DebugString(),
            "NOT floors = 1 AND (floors = 1 OR floors = 2 OR floors = 3)");
}

TEST(FilterExprTest, AndKeepsFlatChildrenInOrderAndFlattensNestedOnes) {
  absl::StatusOr<Expr> a = ParseFilter(Permits(), "floors = 1");
  absl::StatusOr<Expr> b = ParseFilter(Permits(), "floors = 2 OR floors = 3");
  absl::StatusOr<Expr> c = ParseFilter(Permits(), "client = \"Acme\"");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  Expr flat = Expr::And({*c, *a, *b});  // none an AND or true: kept as given
  EXPECT_EQ(flat.kind, Expr::Kind::kAnd);
  EXPECT_EQ(flat.DebugString(),
            "client = \"Acme\" AND floors = 1 AND "
            "(floors = 2 OR floors = 3)");
  Expr nested = Expr::And({Expr(), Expr::And({*c, *a}), *b});
  EXPECT_EQ(nested.children.size(), 3u);
  EXPECT_EQ(nested.DebugString(), flat.DebugString());
  EXPECT_EQ(Expr::And({Expr(), *a}).DebugString(), "floors = 1");
  EXPECT_EQ(Expr::And({Expr(), Expr()}).kind, Expr::Kind::kTrue);
  EXPECT_EQ(Expr::And({}).kind, Expr::Kind::kTrue);
}

// A proto2 message type for what proto2 changes: `kind`, a closed enum;
// `count`, an int64; `label`, a string whose default is "plain".
const google::protobuf::Descriptor* Proto2Thing() {
  static const google::protobuf::Descriptor* thing = [] {
    google::protobuf::FileDescriptorProto file;
    bool parsed = google::protobuf::TextFormat::ParseFromString(
        R"pb(name: "proto2_thing.proto"
             syntax: "proto2"
             enum_type {
               name: "Kind"
               value { name: "A" number: 1 }
             }
             message_type {
               name: "Thing"
               field {
                 name: "kind"
                 number: 1
                 label: LABEL_OPTIONAL
                 type: TYPE_ENUM
                 type_name: ".Kind"
               }
               field {
                 name: "count"
                 number: 2
                 label: LABEL_OPTIONAL
                 type: TYPE_INT64
               }
               field {
                 name: "label"
                 number: 3
                 label: LABEL_OPTIONAL
                 type: TYPE_STRING
                 default_value: "plain"
               }
             })pb",
        &file);
    static auto* pool = new google::protobuf::DescriptorPool;
    const google::protobuf::FileDescriptor* built =
        parsed ? pool->BuildFile(file) : nullptr;
    return built == nullptr ? nullptr : built->message_type(0);
  }();
  return thing;
}

// WireFilter on stored bytes agrees with Expr::Matches on the parsed record.
TEST(WireFilterTest, AgreesWithTheParsedRecordOnEveryKindItServes) {
  std::vector<Permit> records;
  for (int i = 0; i < 24; ++i) {
    Permit p;
    p.set_uuid("u" + std::to_string(i));
    if (i % 3 != 0) p.set_client(i % 2 ? "Acme Builders" : "Acorn");
    if (i % 4 != 1) p.set_county(i % 5 ? "NY" : "CA");
    p.set_status(static_cast<test::PermitStatus>(i % 4));
    if (i % 2) p.set_fee_cents(i * 1000 - 9000);  // negatives too
    p.set_active(i % 3 == 1);
    p.set_floors(static_cast<uint32_t>(i % 7));
    if (i % 5 == 2) p.set_blob(std::string("\x00\xff", 2));
    if (i % 6 == 5) p.set_county("Acorn");  // a value of client, elsewhere
    records.push_back(p);
  }
  for (const char* text :
       {"client = \"Acme Builders\"", "client = \"Ac*\"", "client != \"Ac*\"",
        "client < \"Acme\"", "county >= \"NY\"", "client = \"\"",
        "status = APPROVED", "status != PENDING AND active", "fee_cents < 0",
        "fee_cents >= 5000 OR floors > 4", "NOT active",
        "floors <= 2 AND NOT (county = \"CA\" OR client = \"Acorn\")",
        "active = false", "blob = \"\\x00\\xff\"",
        "client = \"Acorn\" AND county = \"NY\"",
        "client = \"Ac*\" AND status = APPROVED",
        "county = \"Acorn\" OR client = \"Acorn\"", "NOT client = \"Acorn\"",
        "client = \"Acorn\" AND (county = \"CA\" OR NOT active)"}) {
    auto expr = ParseFilter(Permits(), text);
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status();
    std::optional<WireFilter> wire = WireFilter::Compile(*expr);
    ASSERT_TRUE(wire.has_value()) << text;
    for (const Permit& p : records) {
      EXPECT_EQ(wire->Matches(p.SerializeAsString()),
                std::optional<bool>(expr->Matches(p)))
          << text << " on " << p.ShortDebugString();
    }
  }
}

TEST(WireFilterTest, TheLastOccurrenceOfAFieldWinsAsWhenParsed) {
  Permit first, second;
  first.set_client("Acme");
  second.set_client("Globex");
  std::string both = first.SerializeAsString() + second.SerializeAsString();
  auto expr = ParseFilter(Permits(), "client = \"Globex\"");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(WireFilter::Compile(*expr)->Matches(both), std::optional(true));
}

TEST(WireFilterTest, BytesItCannotReadAreLeftToTheParser) {
  auto expr = ParseFilter(Permits(), "client = \"Acme\"");
  ASSERT_TRUE(expr.ok());
  std::optional<WireFilter> wire = WireFilter::Compile(*expr);
  Permit p;
  p.set_client("Acme");
  p.set_county("NY");
  std::string bytes = p.SerializeAsString();
  EXPECT_EQ(wire->Matches(bytes.substr(0, bytes.size() - 1)), std::nullopt);
  // client (3) written as a varint: not how a string is stored.
  EXPECT_EQ(wire->Matches(std::string("\x18\x01\x1a\x04") + "Acme"),
            std::nullopt);
  EXPECT_EQ(wire->Matches(""), std::optional(false));  // absent: ""
}

TEST(WireFilterTest, ARecordWithoutTheRequiredValueIsNotRead) {
  auto expr = ParseFilter(Permits(), "client = \"Acme\" AND active");
  ASSERT_TRUE(expr.ok());
  std::optional<WireFilter> wire = WireFilter::Compile(*expr);
  // Damaged bytes (a length past the end) that cannot hold "Acme": the
  // filter says no without reading them.
  EXPECT_EQ(wire->Matches(std::string("\x1a\x7f") + "Globex"),
            std::optional(false));
  // Bytes that hold it are read: here as damaged.
  EXPECT_EQ(wire->Matches(std::string("\x1a\x7f") + "Acme"), std::nullopt);
  // "Acme" in another field: read, and decided by the client field.
  Permit elsewhere;
  elsewhere.set_county("Acme");
  elsewhere.set_active(true);
  EXPECT_EQ(wire->Matches(elsewhere.SerializeAsString()), std::optional(false));
}

TEST(WireFilterTest, FieldsThatNeedTheParsedRecordAreNotCompiled) {
  for (const char* text :
       {"area > 2.5", "tags : \"vip\"", "issued > \"2024-01-01T00:00:00Z\""}) {
    auto expr = ParseFilter(Permits(), text);
    ASSERT_TRUE(expr.ok()) << text << ": " << expr.status();
    EXPECT_FALSE(WireFilter::Compile(*expr).has_value()) << text;
  }
  auto nested = ParseFilter(Customers(), "address.city = \"Paris\"");
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_FALSE(WireFilter::Compile(*nested).has_value());
  EXPECT_FALSE(WireFilter::Compile(Expr()).has_value());  // no filter
}

TEST(WireFilterTest, AValueTheDefaultSatisfiesIsNotRequired) {
  // A proto2 string whose default is the value asked for: a record
  // without the field matches, though its bytes do not hold the value.
  ASSERT_NE(Proto2Thing(), nullptr);
  const auto* label = Proto2Thing()->FindFieldByName("label");
  auto compare = [&](Op op, std::string value) {
    return WireFilter::Compile(Expr::Of(BoundPredicate{
        FieldRef{label, FieldKind::kString, {}}, op, std::move(value)}));
  };
  EXPECT_EQ(compare(Op::kEq, "plain")->Matches(""), std::optional(true));
  EXPECT_EQ(compare(Op::kPrefix, "pla")->Matches(""), std::optional(true));
  EXPECT_EQ(compare(Op::kEq, "fancy")->Matches(""), std::optional(false));
  EXPECT_EQ(
      compare(Op::kEq, "plain")->Matches(std::string("\x1a\x05") + "fancy"),
      std::optional(false));
}

TEST(WireFilterTest, AProto2EnumIsLeftToTheParser) {
  // A closed enum: the parser keeps a number it does not name out of the
  // field, which then reads as its default; the bytes would say otherwise.
  ASSERT_NE(Proto2Thing(), nullptr);
  auto compare = [](const google::protobuf::FieldDescriptor* f) {
    return Expr::Of(BoundPredicate{FieldRef{f, FieldKind::kInt64, {}}, Op::kEq,
                                   int64_t{1}});
  };
  const google::protobuf::Descriptor* thing = Proto2Thing();
  EXPECT_FALSE(WireFilter::Compile(compare(thing->field(0))).has_value());
  EXPECT_TRUE(WireFilter::Compile(compare(thing->field(1))).has_value());
}

}  // namespace
}  // namespace lmdbapi::storage
