// libFuzzer: any bytes as the `filter` string of a query on the Permit and
// Customer test tables. ParseFilter answers OK or INVALID_ARGUMENT starting
// "filter: ", never anything else and never a crash; what parses prints a
// canonical text that parses again to the same text (with no length limit
// when the canonical text is longer than the input may be) and evaluates the
// same on records; a text that parses has a template (when one can be made)
// that binds its values back to the same expression; PlanQuery answers OK
// or INVALID_ARGUMENT.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "storage/filter_bind.h"
#include "storage/filter_expr.h"
#include "storage/filter_parser.h"
#include "storage/filter_template.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "tests/storage/test_records.pb.h"
#include "tests/storage/test_tables.h"

namespace {

using lmdbapi::storage::Expr;
using lmdbapi::storage::TableSchema;

// Customers: resolved as a caller would; by hand while ResolveTable refuses
// the record for its `page_size` and `filter` fields (issue 15, item 7).
TableSchema CustomerTable() {
  lmdbapi::storage::TableSpec spec;
  spec.name = "customers";
  spec.descriptor = lmdbapi::test::Customer::descriptor();
  spec.primary_key = "uuid";
  absl::StatusOr<TableSchema> resolved = lmdbapi::storage::ResolveTable(spec);
  if (resolved.ok()) return *resolved;
  TableSchema table;
  table.name = spec.name;
  table.descriptor = spec.descriptor;
  table.primary_key = {spec.descriptor->FindFieldByName("uuid"),
                       lmdbapi::storage::FieldKind::kString};
  return table;
}

const std::vector<TableSchema>& Tables() {
  static const auto* tables = [] {
    auto permits =
        lmdbapi::storage::ResolveTable(lmdbapi::testing::PermitTables()[0]);
    if (!permits.ok()) __builtin_trap();
    return new std::vector<TableSchema>{*permits, CustomerTable()};
  }();
  return *tables;
}

// Records to evaluate on: empty ones and ones with every kind of field set.
const std::vector<const google::protobuf::Message*>& Records() {
  static const auto* records = [] {
    auto* permit = new lmdbapi::test::Permit(lmdbapi::testing::MakePermit(
        "Acme", "NY", lmdbapi::test::APPROVED, 1700000000));
    permit->add_tags("vip");
    permit->set_fee_cents(-5);
    permit->set_area(2.5);
    auto* customer = new lmdbapi::test::Customer;
    customer->add_tags("gold");
    customer->mutable_address()->set_city("Oslo");
    customer->add_scores(7);
    return new std::vector<const google::protobuf::Message*>{
        permit, &lmdbapi::test::Permit::default_instance(), customer,
        &lmdbapi::test::Customer::default_instance()};
  }();
  return *records;
}

bool IsFilterError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         absl::StartsWith(status.message(), "filter: ");
}

// What parses prints a canonical text that parses to the same text and
// evaluates the same.
void CheckCanonical(const TableSchema& table, const Expr& expr) {
  const std::string canonical = expr.DebugString();
  absl::StatusOr<Expr> again = lmdbapi::storage::ParseFilter(table, canonical);
  if (canonical.size() > lmdbapi::storage::filter::kMaxFilterBytes) {
    // Longer than the input could be: read with no length limit instead.
    auto syntax = lmdbapi::storage::filter::ParseFilterSyntax(
        canonical, std::numeric_limits<size_t>::max());
    if (!syntax.ok() || !syntax->has_value()) __builtin_trap();
    again = lmdbapi::storage::filter::BindFilter(table, **syntax);
  }
  if (!again.ok() || again->DebugString() != canonical) __builtin_trap();
  for (const google::protobuf::Message* record : Records()) {
    if (record->GetDescriptor() != table.descriptor) continue;
    if (expr.Matches(*record) != again->Matches(*record)) __builtin_trap();
  }
}

// The template of a text that parses binds the text's own values to what
// parsing gave.
void CheckTemplate(const TableSchema& table, const std::string& text,
                   const Expr& expr) {
  auto read = lmdbapi::storage::FilterText::Read(text);
  if (!read.has_value()) __builtin_trap();  // it lexed for the parser
  auto made = lmdbapi::storage::FilterTemplate::Of(table, text, *read);
  if (made == nullptr) return;
  std::optional<Expr> bound = made->Bind(*read);
  if (!bound.has_value() || bound->DebugString() != expr.DebugString()) {
    __builtin_trap();
  }
}

void Check(const TableSchema& table, const std::string& text) {
  absl::StatusOr<Expr> expr = lmdbapi::storage::ParseFilter(table, text);
  if (expr.ok()) {
    CheckCanonical(table, *expr);
    CheckTemplate(table, text, *expr);
  } else if (!IsFilterError(expr.status())) {
    __builtin_trap();
  }
  lmdbapi::storage::Query query;
  query.filter = text;
  absl::StatusOr<lmdbapi::storage::Plan> plan =
      lmdbapi::storage::PlanQuery(table, query);
  if (plan.ok()) {
    (void)plan->Describe();
    (void)plan->Fingerprint(table);
  } else if (plan.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const TableSchema& table : Tables()) Check(table, text);
  return 0;
}
