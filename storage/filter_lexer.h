// The tokens of an AIP-160 filter string, for the parser in
// storage/filter_parser.h: words (field paths, bare values, AND/OR/NOT),
// quoted strings with their escapes resolved, parentheses, comparison
// operators and `-`. Each token knows its 1-based column (in characters) so
// that errors can say where the problem is.
//
//   Lexer lexer("client = \"Ac*\" AND -active");
//   absl::StatusOr<Token> token = lexer.Next();  // kWord "client", column 1
#ifndef LMDBAPI_STORAGE_FILTER_LEXER_H_
#define LMDBAPI_STORAGE_FILTER_LEXER_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage::filter {

enum class TokenKind {
  kEnd,         // the end of the input (returned again and again)
  kWord,        // a run of characters that are not spaces or punctuation
  kString,      // "…" or '…'
  kLeftParen,   // (
  kRightParen,  // )
  kComparator,  // = != < <= > >= :
  kMinus,       // - before something that is not a number: NOT
  kComma,       // , (in no rule of the grammar: always an error)
};

enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe, kHas };
// "=", "!=", "<", "<=", ">", ">=", ":".
const char* ComparatorText(Comparator comparator);

struct Token {
  TokenKind kind = TokenKind::kEnd;
  absl::string_view raw;  // as written, a view of the input
  int column = 0;         // 1-based, counted in UTF-8 characters
  Comparator comparator = Comparator::kEq;  // kComparator
  // kWord and kString: the text with escapes resolved and a trailing
  // unescaped '*' removed (a prefix match: "Ac*").
  std::string text;
  bool trailing_star = false;  // the text ended with an unescaped '*'
  bool inner_star = false;     // an unescaped '*' elsewhere (kept in text)

  bool IsKeyword(absl::string_view keyword) const {
    return kind == TokenKind::kWord && raw == keyword;
  }
};

// `text` for an error message: valid UTF-8 kept, other bytes and control
// characters escaped (\x01), shortened to about 40 bytes.
std::string ShowText(absl::string_view text);

// How an error names a token: "end of input", "'AND'", "\"Acme\"" (long
// ones shortened, control characters escaped).
std::string DescribeToken(const Token& token);

// INVALID_ARGUMENT "filter: column <column>: <message>".
absl::Status FilterErrorAt(int column, absl::string_view message);

class Lexer {
 public:
  explicit Lexer(absl::string_view input) : input_(input) {}

  // The next token; INVALID_ARGUMENT for an unterminated string, a bad
  // escape or a lone '!'.
  absl::StatusOr<Token> Next();

 private:
  void Advance(size_t bytes);  // moves on, counting columns
  void SkipSpace();
  Token Start(TokenKind kind, size_t bytes);  // a token of the next `bytes`
  absl::StatusOr<Token> Punctuation(char c);
  Token Word();
  absl::StatusOr<Token> QuotedString();
  // Resolves the escape at pos_ (a backslash) into `text`.
  absl::Status Escape(std::string* text);
  // \xHH, pos_ at the 'x'; `column` is the backslash's.
  absl::Status HexEscape(int column, std::string* text);

  absl::string_view input_;
  size_t pos_ = 0;
  int column_ = 1;
};

}  // namespace lmdbapi::storage::filter

#endif  // LMDBAPI_STORAGE_FILTER_LEXER_H_
