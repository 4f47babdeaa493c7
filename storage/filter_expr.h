// Filter expressions: what a query's `filter` (Google's AIP-160 syntax) and
// its typed per-field constraints mean once bound to a table's fields.
//
// An expression is a tree of AND, OR and NOT over comparisons of one field
// with one value. A comparison on a repeated field holds when any element
// satisfies it (AIP-160's has operator, `tags:"vip"`); on a field of a nested
// message (`address.city`), an unset message reads as its default values.
//
//   ParseFilter(table, "county = \"NY\" AND (status = APPROVED OR -paid)")
//
// The planner (storage/query.h) serves what it can of an expression from an
// index and checks the rest on each record with Expr::Matches.
#ifndef LMDBAPI_STORAGE_FILTER_EXPR_H_
#define LMDBAPI_STORAGE_FILTER_EXPR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/schema.h"
#include "storage/value.h"

namespace lmdbapi::storage {

// kPrefix: a string field starts with the value (`client = "Ac*"`).
enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kPrefix };
const char* OpName(Op op);

// Whether a comparison whose three-way result (have against want, as
// CompareValues gives it) is `c` satisfies `op` (any but kPrefix).
bool Satisfies(Op op, int c);

// One comparison of a field with a value of the field's kind.
struct BoundPredicate {
  FieldRef field;
  Op op = Op::kEq;
  Value value;
  // For a repeated field: whether any element satisfies the comparison.
  bool Matches(const google::protobuf::Message& record) const;
  // "client = \"Acme\"", "tags : \"vip\"", "client = \"Ac*\"".
  std::string DebugString() const;
  void AppendDebugString(std::string* out) const;
};

struct Expr {
  enum class Kind { kTrue, kPredicate, kAnd, kOr, kNot };
  Kind kind = Kind::kTrue;     // kTrue: no filter, every record matches
  BoundPredicate predicate;    // kPredicate
  std::vector<Expr> children;  // kAnd, kOr: two or more; kNot: one

  bool Matches(const google::protobuf::Message& record) const;
  // Canonical text: the same expression always prints the same, so it also
  // identifies the query in page tokens.
  std::string DebugString() const;
  void AppendDebugString(std::string* out) const;

  static Expr And(std::vector<Expr> children);  // flattens; one child: itself
  // Flattens nested ORs; one child: itself; a kTrue child makes it kTrue.
  // Callers pass at least one child.
  static Expr Or(std::vector<Expr> children);
  static Expr Not(Expr child);
  static Expr Of(BoundPredicate predicate);
};

// Parses and binds `text` (AIP-160) against the table's fields. "" (or only
// spaces) is kTrue. INVALID_ARGUMENT starting "filter: " and giving the
// column and what was expected when it does not parse; naming the field for
// an unknown field, a value of the wrong type, or an operator the field's
// type does not support (`<` on a bool, `:` on a singular field, `=` on a
// repeated one). The grammar and limits: storage/filter_parser.h.
//
// Values: "strings" or 'strings' (escapes \" \' \\ \* \n \r \t \xHH) or bare
// words; numbers (`-5`, `2.5e3`), converted to the field's kind; true and
// false; an enum value's name or number; an RFC 3339 string for a Timestamp.
// A string value ending in an unescaped '*' is a prefix match (`client =
// "Ac*"`, Op::kPrefix; `!=` negates it). A bool field alone means `= true`.
// `status = (APPROVED OR PENDING)` compares the field with each value.
// A field of a nested message reads as its default when the message is
// unset; the server-maintained fields (revision, create_time, update_time)
// are refused: records do not hold them.
absl::StatusOr<Expr> ParseFilter(const TableSchema& table,
                                 absl::string_view text);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_FILTER_EXPR_H_
