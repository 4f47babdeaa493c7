// The syntax of an AIP-160 filter string (https://google.aip.dev/160), before
// its fields are looked up: ParseFilterSyntax turns the text into a tree of
// AND, OR, NOT and comparisons `field OP value`, or an INVALID_ARGUMENT
// giving the column and what was expected there. storage/filter_bind.h then
// binds the tree to a table's fields (ParseFilter in filter_expr.h does both).
//
//   filter      = [ expression ] ;
//   expression  = sequence { "AND" sequence } ;
//   sequence    = factor { factor } ;                 (juxtaposition: AND)
//   factor      = term { "OR" term } ;                (OR binds tighter)
//   term        = [ "NOT" | "-" ] simple ;
//   simple      = restriction | "(" expression ")" ;
//   restriction = field [ comparator ( value | values ) ] ;
//                                                     (a field alone: a bool)
//   values      = "(" value { "OR" value } ")"        (one comparison each:
//               | "(" value { "AND" value } ")" ;      status = (A OR B))
//   comparator  = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":" ;
//   field       = name { "." name } ;
//   value       = word | string ;
//
// Limits keep any input cheap: kMaxFilterBytes of text, parentheses nested
// kMaxFilterDepth deep, kMaxFilterComparisons comparisons (BindFilter also
// limits the bound expression's AND/OR/NOT nesting to kMaxFilterDepth).
#ifndef LMDBAPI_STORAGE_FILTER_PARSER_H_
#define LMDBAPI_STORAGE_FILTER_PARSER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/filter_lexer.h"

namespace lmdbapi::storage::filter {

inline constexpr size_t kMaxFilterBytes = 4096;
inline constexpr int kMaxFilterDepth = 32;
inline constexpr int kMaxFilterComparisons = 200;

// A value as written: `Acme`, `"Ac*"`, `-5`, `APPROVED`.
struct Literal {
  std::string raw;   // as written (quotes included), for messages
  std::string text;  // escapes resolved, a trailing unescaped '*' removed
  bool quoted = false;
  bool trailing_star = false;  // a prefix match ("Ac*")
  bool inner_star = false;     // an unescaped '*' before the end
  int column = 0;
};

// Whether the parser reads `token` as a value where one stands: a string,
// or a word other than AND, OR and NOT.
bool IsValueToken(const Token& token);
// The literal a word or string token reads as (its text taken).
Literal TakeLiteral(Token& token);

// `field OP value`, or a field alone (`active`, `-active`).
struct Restriction {
  std::string field;  // "address.city"
  int field_column = 0;
  std::optional<Comparator> comparator;  // none: a field alone
  int comparator_column = 0;
  Literal value;  // when there is a comparator
  // A field alone: how the token after it reads ("end of input", "'AND'")
  // and its column, for the error when the field is not a bool.
  std::string followed_by;
  int followed_by_column = 0;
};

struct SyntaxNode {
  enum class Kind { kRestriction, kAnd, kOr, kNot };
  Kind kind = Kind::kRestriction;
  Restriction restriction;           // kRestriction
  std::vector<SyntaxNode> children;  // kAnd, kOr: two or more; kNot: one
};

// The syntax tree of `text`; nullopt when it holds no expression (empty or
// only spaces). INVALID_ARGUMENT "filter: column N: expected …, found …" when
// it does not parse or exceeds a limit. The canonical text of a filter
// (Expr::DebugString) can be longer than the text it came from (quotes,
// escapes, `= true`): a caller that reads canonical text back may allow more
// than kMaxFilterBytes.
absl::StatusOr<std::optional<SyntaxNode>> ParseFilterSyntax(
    absl::string_view text, size_t max_bytes = kMaxFilterBytes);

}  // namespace lmdbapi::storage::filter

#endif  // LMDBAPI_STORAGE_FILTER_PARSER_H_
