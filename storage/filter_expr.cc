#include "storage/filter_expr.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "storage/filter_bind.h"
#include "storage/filter_literal.h"
#include "storage/filter_parser.h"

namespace lmdbapi::storage {
namespace {

bool Compare(Op op, const Value& have, const Value& want) {
  if (op == Op::kPrefix) {
    return absl::StartsWith(std::get<std::string>(have),
                            std::get<std::string>(want));
  }
  return Satisfies(op, CompareValues(have, want));
}

}  // namespace

bool Satisfies(Op op, int c) {
  switch (op) {
    case Op::kEq:
      return c == 0;
    case Op::kNe:
      return c != 0;
    case Op::kLt:
      return c < 0;
    case Op::kLe:
      return c <= 0;
    case Op::kGt:
      return c > 0;
    case Op::kGe:
      return c >= 0;
    case Op::kPrefix:
      break;
  }
  return false;
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kEq:
    case Op::kPrefix:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
  }
  return "?";
}

bool BoundPredicate::Matches(const google::protobuf::Message& record) const {
  if (!field.repeated()) return Compare(op, ReadValue(record, field), value);
  std::vector<Value> elements;
  ReadValues(record, field, &elements);
  for (const Value& element : elements) {
    if (Compare(op, element, value)) return true;
  }
  return false;
}

std::string BoundPredicate::DebugString() const {
  std::string text;
  AppendDebugString(&text);
  return text;
}

void BoundPredicate::AppendDebugString(std::string* out) const {
  field.AppendName(out);
  out->push_back(' ');
  out->append(field.repeated() ? ":" : OpName(op));
  out->push_back(' ');
  filter::AppendLiteral(field, value, op == Op::kPrefix, out);
}

bool Expr::Matches(const google::protobuf::Message& record) const {
  switch (kind) {
    case Kind::kTrue:
      return true;
    case Kind::kPredicate:
      return predicate.Matches(record);
    case Kind::kAnd:
      for (const Expr& child : children) {
        if (!child.Matches(record)) return false;
      }
      return true;
    case Kind::kOr:
      for (const Expr& child : children) {
        if (child.Matches(record)) return true;
      }
      return false;
    case Kind::kNot:
      return !children[0].Matches(record);
  }
  return false;
}

std::string Expr::DebugString() const {
  std::string text;
  AppendDebugString(&text);
  return text;
}

void Expr::AppendDebugString(std::string* out) const {
  switch (kind) {
    case Kind::kTrue:
      return;
    case Kind::kPredicate:
      predicate.AppendDebugString(out);
      return;
    case Kind::kNot: {
      const bool leaf = children[0].kind == Kind::kPredicate;
      out->append(leaf ? "NOT " : "NOT (");
      children[0].AppendDebugString(out);
      if (!leaf) out->push_back(')');
      return;
    }
    case Kind::kAnd:
    case Kind::kOr:
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out->append(kind == Kind::kAnd ? " AND " : " OR ");
        const Expr& child = children[i];
        const bool group = child.kind == Kind::kAnd || child.kind == Kind::kOr;
        if (group) out->push_back('(');
        child.AppendDebugString(out);
        if (group) out->push_back(')');
      }
      return;
  }
}

Expr Expr::And(std::vector<Expr> children) {
  Expr all;
  all.kind = Kind::kAnd;
  // Already flat (a query's conjuncts): kept as they are, not moved one by
  // one (each move of an Expr is ~100 instructions).
  if (children.size() >= 2 &&
      std::none_of(children.begin(), children.end(), [](const Expr& child) {
        return child.kind == Kind::kTrue || child.kind == Kind::kAnd;
      })) {
    all.children = std::move(children);
    return all;
  }
  all.children.reserve(children.size());
  for (Expr& child : children) {
    if (child.kind == Kind::kTrue) continue;
    if (child.kind == Kind::kAnd) {
      for (Expr& c : child.children) all.children.push_back(std::move(c));
    } else {
      all.children.push_back(std::move(child));
    }
  }
  if (all.children.empty()) return Expr();
  if (all.children.size() == 1) return std::move(all.children[0]);
  return all;
}

Expr Expr::Or(std::vector<Expr> children) {
  Expr any;
  any.kind = Kind::kOr;
  any.children.reserve(children.size());
  for (Expr& child : children) {
    if (child.kind == Kind::kTrue) return Expr();
    if (child.kind == Kind::kOr) {
      for (Expr& c : child.children) any.children.push_back(std::move(c));
    } else {
      any.children.push_back(std::move(child));
    }
  }
  if (any.children.empty()) return Expr();
  if (any.children.size() == 1) return std::move(any.children[0]);
  return any;
}

Expr Expr::Not(Expr child) {
  Expr negation;
  negation.kind = Kind::kNot;
  negation.children.push_back(std::move(child));
  return negation;
}

Expr Expr::Of(BoundPredicate predicate) {
  Expr leaf;
  leaf.kind = Kind::kPredicate;
  leaf.predicate = std::move(predicate);
  return leaf;
}

absl::StatusOr<Expr> ParseFilter(const TableSchema& table,
                                 absl::string_view text) {
  if (text.empty()) return Expr();  // what most queries have: no filter
  LMDBAPI_ASSIGN_OR_RETURN(std::optional<filter::SyntaxNode> syntax,
                           filter::ParseFilterSyntax(text));
  if (!syntax.has_value()) return Expr();
  return filter::BindFilter(table, *syntax);
}

}  // namespace lmdbapi::storage
