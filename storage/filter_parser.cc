#include "storage/filter_parser.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace lmdbapi::storage::filter {
namespace {

using Kind = SyntaxNode::Kind;

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// `name { "." name }` with names like C identifiers.
bool IsFieldPath(absl::string_view text) {
  for (absl::string_view name : absl::StrSplit(text, '.')) {
    if (name.empty() || !IsNameStart(name[0])) return false;
    for (char c : name) {
      if (!IsNameChar(c)) return false;
    }
  }
  return true;
}

SyntaxNode Combine(Kind kind, std::vector<SyntaxNode> children) {
  if (children.size() == 1) return std::move(children[0]);
  SyntaxNode node;
  node.kind = kind;
  node.children = std::move(children);
  return node;
}

// A recursive-descent parser with one token of lookahead. Recursion only
// goes through parentheses, whose depth is limited.
class Parser {
 public:
  explicit Parser(absl::string_view text) : lexer_(text) {}

  absl::StatusOr<std::optional<SyntaxNode>> Parse() {
    LMDBAPI_RETURN_IF_ERROR(Advance());
    if (token_.kind == TokenKind::kEnd) return std::nullopt;
    LMDBAPI_RETURN_IF_ERROR(ExpectTermStart(""));
    LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode root, Expression());
    if (token_.kind == TokenKind::kRightParen) {
      return FilterErrorAt(token_.column, "found ')' without a matching '('");
    }
    if (token_.kind != TokenKind::kEnd) {
      return Expected("AND, OR or end of input", "");
    }
    return root;
  }

 private:
  absl::Status Advance() {
    LMDBAPI_ASSIGN_OR_RETURN(token_, lexer_.Next());
    return absl::OkStatus();
  }

  // "filter: column N: expected <what>[ after <after>], found <token>".
  absl::Status Expected(absl::string_view what, absl::string_view after) {
    return FilterErrorAt(
        token_.column,
        absl::StrCat("expected ", what, after.empty() ? "" : " after ", after,
                     ", found ", DescribeToken(token_)));
  }

  bool AtTermStart() const {
    switch (token_.kind) {
      case TokenKind::kLeftParen:
      case TokenKind::kMinus:
        return true;
      case TokenKind::kWord:
        return !token_.IsKeyword("AND") && !token_.IsKeyword("OR");
      default:
        return false;
    }
  }

  absl::Status ExpectTermStart(absl::string_view after) {
    if (AtTermStart()) return absl::OkStatus();
    return Expected("a comparison or '('", after);
  }

  // expression = sequence { "AND" sequence }
  absl::StatusOr<SyntaxNode> Expression() {
    std::vector<SyntaxNode> sequences;
    while (true) {
      LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode sequence, Sequence());
      sequences.push_back(std::move(sequence));
      if (!token_.IsKeyword("AND")) break;
      LMDBAPI_RETURN_IF_ERROR(Advance());
      LMDBAPI_RETURN_IF_ERROR(ExpectTermStart("'AND'"));
    }
    return Combine(Kind::kAnd, std::move(sequences));
  }

  // sequence = factor { factor }
  absl::StatusOr<SyntaxNode> Sequence() {
    std::vector<SyntaxNode> factors;
    do {
      LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode factor, Factor());
      factors.push_back(std::move(factor));
    } while (AtTermStart());
    return Combine(Kind::kAnd, std::move(factors));
  }

  // factor = term { "OR" term }
  absl::StatusOr<SyntaxNode> Factor() {
    std::vector<SyntaxNode> terms;
    while (true) {
      LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode term, Term());
      terms.push_back(std::move(term));
      if (!token_.IsKeyword("OR")) break;
      LMDBAPI_RETURN_IF_ERROR(Advance());
      LMDBAPI_RETURN_IF_ERROR(ExpectTermStart("'OR'"));
    }
    return Combine(Kind::kOr, std::move(terms));
  }

  // term = [ "NOT" | "-" ] simple
  absl::StatusOr<SyntaxNode> Term() {
    if (!token_.IsKeyword("NOT") && token_.kind != TokenKind::kMinus) {
      return Simple();
    }
    const std::string negation = absl::StrCat("'", token_.raw, "'");
    LMDBAPI_RETURN_IF_ERROR(Advance());
    if (token_.kind != TokenKind::kLeftParen &&
        (token_.kind != TokenKind::kWord || token_.IsKeyword("AND") ||
         token_.IsKeyword("OR") || token_.IsKeyword("NOT"))) {
      return Expected("a comparison or '('", negation);
    }
    LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode simple, Simple());
    SyntaxNode node;
    node.kind = Kind::kNot;
    node.children.push_back(std::move(simple));
    return node;
  }

  // simple = restriction | "(" expression ")"
  absl::StatusOr<SyntaxNode> Simple() {
    if (token_.kind != TokenKind::kLeftParen) return Restriction();
    const int open_column = token_.column;
    if (++depth_ > kMaxFilterDepth) {
      return FilterErrorAt(open_column,
                           absl::StrCat("parentheses nest more than ",
                                        kMaxFilterDepth, " deep"));
    }
    LMDBAPI_RETURN_IF_ERROR(Advance());
    LMDBAPI_RETURN_IF_ERROR(ExpectTermStart("'('"));
    LMDBAPI_ASSIGN_OR_RETURN(SyntaxNode inner, Expression());
    if (token_.kind != TokenKind::kRightParen) {
      return Expected(
          absl::StrCat("')' to close the '(' at column ", open_column), "");
    }
    --depth_;
    LMDBAPI_RETURN_IF_ERROR(Advance());
    return inner;
  }

  // restriction = field [ comparator value ]
  absl::StatusOr<SyntaxNode> Restriction() {
    if (token_.kind != TokenKind::kWord || !IsFieldPath(token_.raw)) {
      return Expected("a field name", "");
    }
    LMDBAPI_RETURN_IF_ERROR(CountComparison());
    SyntaxNode node;
    struct Restriction& r = node.restriction;
    r.field = std::string(token_.raw);
    r.field_column = token_.column;
    LMDBAPI_RETURN_IF_ERROR(Advance());
    if (token_.kind != TokenKind::kComparator) {
      r.followed_by = DescribeToken(token_);
      r.followed_by_column = token_.column;
      return node;
    }
    r.comparator = token_.comparator;
    r.comparator_column = token_.column;
    const std::string after =
        absl::StrCat("'", ComparatorText(token_.comparator), "'");
    LMDBAPI_RETURN_IF_ERROR(Advance());
    if (token_.kind == TokenKind::kLeftParen) return ValueList(r);
    LMDBAPI_ASSIGN_OR_RETURN(r.value, Value(after));
    return node;
  }

  absl::Status CountComparison() {
    if (++comparisons_ <= kMaxFilterComparisons) return absl::OkStatus();
    return FilterErrorAt(token_.column,
                         absl::StrCat("more than ", kMaxFilterComparisons,
                                      " comparisons in one filter"));
  }

  // `field OP ( value { "OR" value } )`, or with AND: one comparison per
  // value, joined by that one connective (`status = (APPROVED OR PENDING)`).
  absl::StatusOr<SyntaxNode> ValueList(const struct Restriction& head) {
    const int open_column = token_.column;
    LMDBAPI_RETURN_IF_ERROR(Advance());
    std::vector<SyntaxNode> items;
    std::string connective;  // "OR" or "AND" once one is seen
    while (true) {
      if (!items.empty()) LMDBAPI_RETURN_IF_ERROR(CountComparison());
      SyntaxNode item;
      item.restriction = head;
      LMDBAPI_ASSIGN_OR_RETURN(
          item.restriction.value,
          Value(items.empty() ? "'('" : absl::StrCat("'", connective, "'")));
      items.push_back(std::move(item));
      if (token_.kind == TokenKind::kRightParen) break;
      const std::string word(token_.raw);
      const bool is_connective =
          token_.IsKeyword("OR") || token_.IsKeyword("AND");
      if (!is_connective || (!connective.empty() && word != connective)) {
        return Expected(
            absl::StrCat(connective.empty() ? "OR, AND" : connective,
                         " or ')' to close the '(' at column ", open_column),
            "");
      }
      connective = word;
      LMDBAPI_RETURN_IF_ERROR(Advance());
    }
    if (items.size() > 1 && head.comparator == Comparator::kNe) {
      return FilterErrorAt(
          head.comparator_column,
          absl::StrCat("'!=' with a list of values is ambiguous; write NOT ",
                       head.field, " = (…) for none of them"));
    }
    LMDBAPI_RETURN_IF_ERROR(Advance());
    return Combine(connective == "AND" ? Kind::kAnd : Kind::kOr,
                   std::move(items));
  }

  // value = word | string
  absl::StatusOr<Literal> Value(absl::string_view after) {
    if (!IsValueToken(token_)) {
      return Expected("a value", after);
    }
    Literal literal = TakeLiteral(token_);
    LMDBAPI_RETURN_IF_ERROR(Advance());
    return literal;
  }

  Lexer lexer_;
  Token token_;
  int depth_ = 0;
  int comparisons_ = 0;
};

}  // namespace

bool IsValueToken(const Token& token) {
  if (token.kind == TokenKind::kString) return true;
  return token.kind == TokenKind::kWord && !token.IsKeyword("AND") &&
         !token.IsKeyword("OR") && !token.IsKeyword("NOT");
}

Literal TakeLiteral(Token& token) {
  Literal literal;
  literal.raw = std::string(token.raw);
  literal.text = std::move(token.text);
  literal.quoted = token.kind == TokenKind::kString;
  literal.trailing_star = token.trailing_star;
  literal.inner_star = token.inner_star;
  literal.column = token.column;
  return literal;
}

absl::StatusOr<std::optional<SyntaxNode>> ParseFilterSyntax(
    absl::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "filter: ", text.size(), " bytes is longer than the limit of ",
        max_bytes, " bytes"));
  }
  return Parser(text).Parse();
}

}  // namespace lmdbapi::storage::filter
