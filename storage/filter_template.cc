#include "storage/filter_template.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "storage/filter_bind.h"
#include "storage/filter_lexer.h"
#include "storage/filter_literal.h"

namespace lmdbapi::storage {
namespace {

using filter::Token;
using filter::TokenKind;

// Where a token stands, as far as values go: a value follows a comparator,
// alone or as a parenthesized list joined by OR or AND.
enum class Expect { kAny, kValue, kListValue, kListNext };

// Whether `token` is a value, given where it stands; moves `expect` on.
bool AtValue(const Token& token, Expect* expect) {
  switch (*expect) {
    case Expect::kAny:
      if (token.kind == TokenKind::kComparator) *expect = Expect::kValue;
      return false;
    case Expect::kValue:
      if (token.kind == TokenKind::kLeftParen) {
        *expect = Expect::kListValue;
        return false;
      }
      *expect = Expect::kAny;
      return filter::IsValueToken(token);
    case Expect::kListValue:
      *expect = Expect::kListNext;
      return filter::IsValueToken(token);
    case Expect::kListNext:  // a connective, or the list's ')'
      *expect = token.kind == TokenKind::kRightParen ? Expect::kAny
                                                     : Expect::kListValue;
      return false;
  }
  return false;
}

// A token other than a value: its kind, its length (two bytes: a text is
// at most filter::kMaxFilterBytes) and its text.
void AppendToken(const Token& token, std::string* shape) {
  static_assert(filter::kMaxFilterBytes <= UINT16_MAX);
  const auto size = static_cast<uint16_t>(token.raw.size());
  char head[1 + sizeof size];
  head[0] = static_cast<char>(token.kind);
  std::memcpy(head + 1, &size, sizeof size);
  shape->append(head, sizeof head);
  shape->append(token.raw.data(), token.raw.size());
}

// A value's place in a shape: its kind and its '*'s (what binding reads
// besides its text).
void AppendValue(const Token& token, std::string* shape) {
  shape->push_back(static_cast<char>(token.kind));
  shape->push_back('v');
  shape->push_back(static_cast<char>((token.trailing_star ? 1 : 0) |
                                     (token.inner_star ? 2 : 0)));
}

void CollectRestrictions(const filter::SyntaxNode& node,
                         std::vector<const filter::Restriction*>* out) {
  if (node.kind == filter::SyntaxNode::Kind::kRestriction) {
    out->push_back(&node.restriction);
  }
  for (const filter::SyntaxNode& child : node.children) {
    CollectRestrictions(child, out);
  }
}

// The predicates of `expr` in order, depth first.
template <typename E, typename P>
void CollectPredicates(E& expr, P* out) {
  if (expr.kind == Expr::Kind::kPredicate) out->push_back(&expr.predicate);
  for (auto& child : expr.children) CollectPredicates(child, out);
}

}  // namespace

std::optional<FilterText> FilterText::Read(absl::string_view text) {
  if (text.size() > filter::kMaxFilterBytes) return std::nullopt;
  FilterText read;
  // A token of n bytes takes at most n + 3 bytes of the shape, so no more
  // than 4 n (spaces none): one allocation.
  read.shape.reserve(4 * text.size());
  read.values.reserve(4);
  filter::Lexer lexer(text);
  Expect expect = Expect::kAny;
  while (true) {
    absl::StatusOr<Token> token = lexer.Next();
    if (!token.ok()) return std::nullopt;
    if (token->kind == TokenKind::kEnd) return read;
    if (AtValue(*token, &expect)) {
      AppendValue(*token, &read.shape);
      read.values.push_back(filter::TakeLiteral(*token));
    } else {
      AppendToken(*token, &read.shape);
    }
  }
}

std::shared_ptr<const FilterTemplate> FilterTemplate::Of(
    const TableSchema& table, absl::string_view text, const FilterText& read) {
  absl::StatusOr<std::optional<filter::SyntaxNode>> syntax =
      filter::ParseFilterSyntax(text);
  if (!syntax.ok() || !syntax->has_value()) return nullptr;
  absl::StatusOr<Expr> bound = filter::BindFilter(table, **syntax);
  if (!bound.ok()) return nullptr;
  // Each restriction binds to one predicate, in the same order: checked,
  // with its field and value, rather than assumed.
  std::vector<const filter::Restriction*> restrictions;
  CollectRestrictions(**syntax, &restrictions);
  std::vector<const BoundPredicate*> predicates;
  CollectPredicates(*bound, &predicates);
  if (restrictions.size() != predicates.size()) return nullptr;
  auto made = std::shared_ptr<FilterTemplate>(new FilterTemplate);
  for (size_t i = 0; i < restrictions.size(); ++i) {
    const filter::Restriction& r = *restrictions[i];
    if (predicates[i]->field.Name() != r.field) return nullptr;
    if (!r.comparator.has_value()) continue;  // a bool field alone
    const size_t k = made->predicate_of_value_.size();
    if (k == read.values.size() || read.values[k].raw != r.value.raw ||
        read.values[k].column != r.value.column) {
      return nullptr;
    }
    made->predicate_of_value_.push_back(i);
  }
  if (made->predicate_of_value_.size() != read.values.size()) return nullptr;
  made->bound_ = *std::move(bound);
  return made;
}

std::optional<Expr> FilterTemplate::Bind(const FilterText& text) const {
  if (text.values.size() != predicate_of_value_.size()) return std::nullopt;
  Expr filter = bound_;
  absl::InlinedVector<BoundPredicate*, 8> predicates;
  CollectPredicates(filter, &predicates);
  for (size_t k = 0; k < text.values.size(); ++k) {
    BoundPredicate& p = *predicates[predicate_of_value_[k]];
    absl::StatusOr<Value> value = filter::LiteralValue(p.field, text.values[k]);
    if (!value.ok()) return std::nullopt;
    p.value = *std::move(value);
  }
  return filter;
}

}  // namespace lmdbapi::storage
