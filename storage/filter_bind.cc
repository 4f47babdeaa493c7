#include "storage/filter_bind.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/filter_field.h"
#include "storage/filter_literal.h"

namespace lmdbapi::storage::filter {
namespace {

bool IsOrdering(Comparator c) {
  return c == Comparator::kLt || c == Comparator::kLe || c == Comparator::kGt ||
         c == Comparator::kGe;
}

Op OpOf(Comparator c) {
  switch (c) {
    case Comparator::kEq:
    case Comparator::kHas:
      return Op::kEq;
    case Comparator::kNe:
      return Op::kNe;
    case Comparator::kLt:
      return Op::kLt;
    case Comparator::kLe:
      return Op::kLe;
    case Comparator::kGt:
      return Op::kGt;
    case Comparator::kGe:
      return Op::kGe;
  }
  return Op::kEq;
}

// Whether the comparator applies to the field: ':' (any element) and only it
// on a repeated field, no ordering on a bool.
absl::Status CheckComparator(const FieldRef& ref, const Restriction& r) {
  const Comparator c = *r.comparator;
  const std::string name = ref.Name();
  const int column = r.comparator_column;
  if (ref.repeated() && c != Comparator::kHas) {
    return FilterErrorAt(
        column,
        absl::StrCat("field '", name, "' is repeated; '", ComparatorText(c),
                     "' does not apply to it: use ':' to match any "
                     "element, as in ",
                     name, ":", ShowText(r.value.raw)));
  }
  if (!ref.repeated() && c == Comparator::kHas) {
    return FilterErrorAt(
        column, absl::StrCat("field '", name,
                             "' is not repeated; ':' (has) applies to "
                             "repeated fields only: compare with '=', as in ",
                             name, " = ", ShowText(r.value.raw)));
  }
  if (ref.kind == FieldKind::kBool && IsOrdering(c)) {
    return FilterErrorAt(
        column,
        absl::StrCat("field '", name, "' is a bool field; '", ComparatorText(c),
                     "' does not apply to it (use = or !=)"));
  }
  return absl::OkStatus();
}

// A value ending in an unescaped '*' is a prefix match: on a string field,
// with '=', '!=' or ':' only, and with no other unescaped '*'.
absl::Status CheckStars(const FieldRef& ref, const Restriction& r) {
  const Literal& v = r.value;
  if (!v.trailing_star && !v.inner_star) return absl::OkStatus();
  const std::string head = absl::StrCat("field '", ref.Name(), "'");
  if (ref.kind != FieldKind::kString) {
    return FilterErrorAt(
        v.column, absl::StrCat(head, " is ", FieldTypePhrase(ref.field),
                               "; a '*' (prefix match) applies to string "
                               "fields only"));
  }
  if (v.inner_star) {
    return FilterErrorAt(v.column,
                         absl::StrCat(head,
                                      ": '*' may only end a string value, "
                                      "as a prefix match (\"Ac*\"); write \\* "
                                      "for a literal '*'"));
  }
  if (IsOrdering(*r.comparator)) {
    return FilterErrorAt(v.column,
                         absl::StrCat(head,
                                      ": a prefix match (a value ending in "
                                      "'*') goes with '=', '!=' or ':', not '",
                                      ComparatorText(*r.comparator), "'"));
  }
  return absl::OkStatus();
}

// A field alone: a bool field is `field = true`.
absl::StatusOr<Expr> BindAlone(const FieldRef& ref, const Restriction& r) {
  if (ref.kind == FieldKind::kBool && !ref.repeated()) {
    return Expr::Of(BoundPredicate{ref, Op::kEq, Value(true)});
  }
  return FilterErrorAt(
      r.followed_by_column,
      absl::StrCat("expected a comparison operator (= != < <= > >= :) after '",
                   r.field, "', found ", r.followed_by,
                   " (only a bool field may stand alone)"));
}

absl::StatusOr<Expr> BindRestriction(const TableSchema& table,
                                     const Restriction& r) {
  LMDBAPI_ASSIGN_OR_RETURN(FieldRef ref,
                           ResolveFieldPath(table, r.field, r.field_column));
  if (!r.comparator.has_value()) return BindAlone(ref, r);
  LMDBAPI_RETURN_IF_ERROR(CheckComparator(ref, r));
  LMDBAPI_RETURN_IF_ERROR(CheckStars(ref, r));
  absl::StatusOr<Value> value = LiteralValue(ref, r.value);
  if (!value.ok()) {
    return FilterErrorAt(r.value.column, value.status().message());
  }
  Op op = OpOf(*r.comparator);
  if (!r.value.trailing_star) {
    return Expr::Of(BoundPredicate{std::move(ref), op, *std::move(value)});
  }
  Expr prefix =
      Expr::Of(BoundPredicate{std::move(ref), Op::kPrefix, *std::move(value)});
  return op == Op::kNe ? Expr::Not(std::move(prefix)) : prefix;
}

absl::StatusOr<Expr> Bind(const TableSchema& table, const SyntaxNode& node) {
  if (node.kind == SyntaxNode::Kind::kRestriction) {
    return BindRestriction(table, node.restriction);
  }
  std::vector<Expr> children;
  children.reserve(node.children.size());
  for (const SyntaxNode& child : node.children) {
    LMDBAPI_ASSIGN_OR_RETURN(Expr bound, Bind(table, child));
    children.push_back(std::move(bound));
  }
  switch (node.kind) {
    case SyntaxNode::Kind::kAnd:
      return Expr::And(std::move(children));
    case SyntaxNode::Kind::kOr:
      return Expr::Or(std::move(children));
    default:  // kNot
      return Expr::Not(std::move(children[0]));
  }
}

// The most AND, OR and NOT nodes on a path from the root to a comparison:
// what nests the canonical text's parentheses.
int Depth(const Expr& expr) {
  int deepest = 0;
  for (const Expr& child : expr.children) {
    deepest = std::max(deepest, Depth(child));
  }
  return expr.children.empty() ? 0 : deepest + 1;
}

}  // namespace

absl::StatusOr<Expr> BindFilter(const TableSchema& table,
                                const SyntaxNode& root) {
  LMDBAPI_ASSIGN_OR_RETURN(Expr expr, Bind(table, root));
  if (Depth(expr) > kMaxFilterDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: AND, OR and NOT nest more than ", kMaxFilterDepth,
        " deep (each AND within an OR, OR within an AND or NOT of a group "
        "is a level)"));
  }
  return expr;
}

}  // namespace lmdbapi::storage::filter
