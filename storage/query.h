// Filter queries and the planner that turns them into index scans.
//
// A query is a conjunction of typed predicates on record fields. The planner
// picks the access path with the longest usable prefix: the primary key
// (equality: a point lookup; a range: a key-range scan), else the index
// whose leading fields all have equality predicates, plus a range on the
// next field, else a full scan in primary-key order. Predicates the access
// path does not consume are checked on each record (the residual filter).
#ifndef LMDBAPI_STORAGE_QUERY_H_
#define LMDBAPI_STORAGE_QUERY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/filter_expr.h"
#include "storage/schema.h"
#include "storage/value.h"

namespace lmdbapi::storage {

struct Predicate {
  std::string field;  // a field name of the record message
  Op op = Op::kEq;
  Value value;
};

struct Query {
  // Typed constraints (a generated request's per-field filter fields), all
  // of which must hold, as must `filter`.
  std::vector<Predicate> predicates;
  // Records per page: 0 means the table default; larger than the maximum is
  // clamped to it.
  size_t page_size = 0;
  // Empty for the first page, else the previous page's next_page_token.
  std::string page_token;
  // An AIP-160 filter expression (storage/filter_expr.h); "" = none.
  std::string filter;
  // AIP-132: "issued desc, client"; "" = the order of the plan's index.
  std::string order_by;
};

struct Plan {
  enum class Kind {
    kPrimaryKeyLookup,
    kPrimaryKeyRange,
    kIndexScan,
    kFullScan
  };
  Kind kind = Kind::kFullScan;
  const IndexSchema* index = nullptr;    // for kIndexScan
  std::vector<BoundPredicate> consumed;  // served by the access path
  std::vector<BoundPredicate> residual;  // checked on each record
  // The whole condition: the typed predicates AND the filter. What a change
  // feed checks on each changed record.
  Expr where;
  // Key bounds in the scanned database: [start, end); no end = to the last
  // key. For kPrimaryKeyLookup, start is the key.
  std::string start;
  std::optional<std::string> end;

  // One line a person can read to see why a query is fast or slow, e.g.
  // "index main_composite (client = \"Acme\", county = \"NY\"); residual:
  // passed = true".
  std::string Describe() const;
  // Identifies the query for page tokens: the same predicates in any order
  // give the same value.
  uint64_t Fingerprint(const TableSchema& table) const;
};

// Validates the predicates (INVALID_ARGUMENT naming the field on an unknown
// field or a value of the wrong type) and chooses the plan.
absl::StatusOr<Plan> PlanQuery(const TableSchema& table,
                               const std::vector<Predicate>& predicates);
// The plan of a whole query: its predicates, filter and order_by
// (INVALID_ARGUMENT naming `filter` or `order_by` when they are malformed or
// cannot be served).
absl::StatusOr<Plan> PlanQuery(const TableSchema& table, const Query& query);

// The smallest string greater than every string that starts with `prefix`;
// nullopt when there is none (empty or all 0xFF).
std::optional<std::string> PrefixSuccessor(absl::string_view prefix);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_QUERY_H_
