// Filter queries and the planner that turns them into index scans.
//
// A query is a condition (typed predicates AND an AIP-160 filter) and an
// optional order. The planner (storage/planner.cc) reads the condition as a
// conjunction and picks the access path that fixes the most leading fields
// of one index (or the primary key): equalities, an OR of equalities on one
// field (several ranges), then a range or string prefix on the next field.
// Several ranges are merged in the requested order, each record once. A
// filter that is an OR of indexed branches reads each branch's ranges and
// merges them. order_by is served by an index whose fields after the fixed
// ones are the ordered fields, read forward or backward. What the ranges do
// not answer is checked on each record (the residual).
#ifndef LMDBAPI_STORAGE_QUERY_H_
#define LMDBAPI_STORAGE_QUERY_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
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

// The records a page holds when `asked` (0: `default_size`): never more than
// `max_size`, which bounds the default too.
inline size_t PageSizeFor(size_t asked, size_t default_size, size_t max_size) {
  return std::min(asked == 0 ? default_size : asked, max_size);
}

// One stretch of keys a plan reads: of an index, or of the records (keyed by
// primary key).
struct KeyRange {
  const IndexSchema* index = nullptr;  // nullptr: the records
  std::string start;                   // the first key in the range
  std::optional<std::string> end;      // the first key after it; none: to
                                       // the last key
  // How many leading bytes of every key in the range the plan fixes (the
  // index fields it holds equal, in order, to single values). Records from
  // several ranges are merged in the order of the rest of their keys: the
  // plan's order fields, then the primary key.
  size_t fixed = 0;
  // What the range holds, for a union's Describe: `county = "NY", status =
  // APPROVED`. Empty in other plans, whose Describe lists what they consume.
  std::string text;
};

struct Plan {
  enum class Kind {
    kPrimaryKeyLookup,  // ranges of one primary key each
    kPrimaryKeyRange,
    kIndexScan,
    kUnion,  // ranges of several indexes (a filter's OR of indexed branches)
    kFullScan
  };
  Kind kind = Kind::kFullScan;
  const IndexSchema* index = nullptr;  // kIndexScan
  std::vector<KeyRange> ranges;        // read and merged in the plan's order
  bool backward = false;               // from the last key down
  // The parts of the condition the ranges answer (each a comparison, or an
  // OR of equalities on one field), as Describe writes them: " (client =
  // \"Acme\", county = \"NY\")", "" when none. Written once while planning
  // rather than kept as expressions: copying those cost more than the text.
  std::string consumed;
  // The part of the condition checked on each record read (kTrue: none, so
  // a count needs no record).
  Expr residual;
  // The whole condition: the typed predicates AND the filter. What a change
  // feed checks on each changed record.
  Expr where;
  // The fields records come in order of (descending when `backward`), then
  // their primary key; and the order_by that asked for it ("" = none).
  std::vector<FieldRef> order;
  std::string order_by;
  // Indexes the plan would have used but may not yet, and why:
  // "index by_fee not used: building 41%".
  std::vector<std::string> not_used;

  // One line a person can read to see why a query is fast or slow, e.g.
  // "index main_composite (client = \"Acme\", county = \"NY\"); residual:
  // passed = true".
  std::string Describe() const;
  // Identifies the query for page tokens: its condition, order and access
  // path.
  uint64_t Fingerprint(const TableSchema& table) const;
  // Where `record` (whose primary key is `pk`) sorts among the plan's
  // results: its order fields' tuple encoding, then the primary key. Results
  // come in increasing order of it, or decreasing when `backward`.
  absl::StatusOr<std::string> SortKeyOf(const google::protobuf::Message& record,
                                        absl::string_view pk) const;
};

// Resolves each typed predicate's field and converts its value to the
// field's kind (INVALID_ARGUMENT naming the field).
absl::StatusOr<std::vector<BoundPredicate>> BindPredicates(
    const TableSchema& table, const std::vector<Predicate>& predicates);

// The plan of a whole query: its predicates AND filter, in its order_by.
// INVALID_ARGUMENT naming the field for a typed predicate on an unknown field
// or with a value of the wrong type; naming `filter` or `order_by` when they
// are malformed, and `order_by` when no index can serve it (saying which
// index declaration would).
//
// `readiness` names the indexes the planner may not use (being built
// online: storage/index_build.h); the plan then does without them and says
// so in not_used. An order_by that only such an index serves is refused
// with FAILED_PRECONDITION naming order_by, the index and its state.
//
// Says why the planner may not use `index` now ("building 41%"), or "" when
// it may.
using IndexReadiness = std::function<std::string(const IndexSchema& index)>;
absl::StatusOr<Plan> PlanQuery(const TableSchema& table, const Query& query,
                               const IndexReadiness& readiness = nullptr);
// The same into `plan`, a default one: what a call's path uses, since a
// Plan is costly to move (about 200 instructions each; a plan returned
// through the planner's layers moved eight times per Filter).
absl::Status PlanQuery(const TableSchema& table, const Query& query,
                       const IndexReadiness& readiness, Plan* plan);

// The access path the planner chose for a query, by the places of the
// conditions it used. Which path wins depends only on the query's shape:
// its typed predicates' fields, operators and kinds of value, its filter
// and its order_by. So a query of the same shape with other values
// (another customer's id) can be planned without choosing again
// (ReplanQuery), which a service looking records up by changing values
// asks on every call.
struct PlanChoice {
  const IndexSchema* index = nullptr;      // nullptr: the primary key
  absl::InlinedVector<uint8_t, 4> points;  // conditions held to values
  int interval = -1;                       // the condition bounding the next
  size_t fixed = 0;       // leading fields held out of the order
  size_t conditions = 0;  // how many the planner found in the query
};

// PlanQuery with every index ready, and the choice made (nullopt for a
// plan no choice can redo: a union of a filter's OR).
absl::Status PlanQuery(const TableSchema& table, const Query& query, Plan* plan,
                       std::optional<PlanChoice>* choice);
// The plan PlanQuery(table, query) makes, when `choice` is what it chose
// for a query of the same shape: the values bound and checked, the key
// ranges and expressions built, the choosing skipped. A choice that does
// not fit the query (a different shape) is not used: the query is then
// planned in full.
absl::Status ReplanQuery(const TableSchema& table, const Query& query,
                         const PlanChoice& choice, Plan* plan);
// The same for a query whose filter is `filter`, already bound
// (FilterTemplate::Bind's): query.filter is not parsed again. nullopt:
// parsed, as above.
absl::Status ReplanQuery(const TableSchema& table, const Query& query,
                         std::optional<Expr> filter, const PlanChoice& choice,
                         Plan* plan);

// The smallest string greater than every string that starts with `prefix`;
// nullopt when there is none (empty or all 0xFF).
std::optional<std::string> PrefixSuccessor(absl::string_view prefix);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_QUERY_H_
