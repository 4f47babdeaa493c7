#include "storage/filter_lexer.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace lmdbapi::storage::filter {
namespace {

// Error messages show at most this many bytes of a token.
constexpr size_t kShownBytes = 40;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

bool IsPunctuation(char c) {
  switch (c) {
    case '(':
    case ')':
    case '=':
    case '!':
    case '<':
    case '>':
    case ':':
    case '"':
    case '\'':
    case ',':
      return true;
    default:
      return false;
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8Length(absl::string_view s) {
  const auto lead = static_cast<uint8_t>(s[0]);
  size_t n = lead < 0x80   ? 1
             : lead < 0xC2 ? 0
             : lead < 0xE0 ? 2
             : lead < 0xF0 ? 3
             : lead < 0xF5 ? 4
                           : 0;
  if (n == 0 || n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<uint8_t>(s[i]) & 0xC0) != 0x80) return 0;
  }
  // No overlong forms, surrogates or code points above U+10FFFF.
  const auto second = n > 1 ? static_cast<uint8_t>(s[1]) : 0x80;
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)) {
    return 0;
  }
  return n;
}

// Where a '*' the user did not escape stands in a word or string.
struct Stars {
  size_t count = 0;
  size_t last = 0;  // index in the text of the last one

  void Add(size_t index) {
    ++count;
    last = index;
  }
  // Removes a trailing unescaped '*' from `token.text` and records both
  // flags.
  void Finish(Token& token) const {
    token.trailing_star = count > 0 && last + 1 == token.text.size();
    if (token.trailing_star) token.text.pop_back();
    token.inner_star = count > (token.trailing_star ? 1 : 0);
  }
};

}  // namespace

const char* ComparatorText(Comparator comparator) {
  switch (comparator) {
    case Comparator::kEq:
      return "=";
    case Comparator::kNe:
      return "!=";
    case Comparator::kLt:
      return "<";
    case Comparator::kLe:
      return "<=";
    case Comparator::kGt:
      return ">";
    case Comparator::kGe:
      return ">=";
    case Comparator::kHas:
      return ":";
  }
  return "?";
}

std::string ShowText(absl::string_view text) {
  std::string shown;
  size_t i = 0;
  while (i < text.size()) {
    if (i >= kShownBytes) {
      absl::StrAppend(&shown, "…");
      break;
    }
    size_t n = Utf8Length(text.substr(i));
    const auto byte = static_cast<uint8_t>(text[i]);
    if (n > 1 || (n == 1 && byte >= 0x20 && byte != 0x7f)) {
      shown.append(text.data() + i, n);
    } else {
      absl::StrAppend(&shown, absl::StrFormat("\\x%02x", byte));
    }
    i += n > 0 ? n : 1;
  }
  return shown;
}

std::string DescribeToken(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "end of input";
  if (token.kind == TokenKind::kString) return ShowText(token.raw);
  return absl::StrCat("'", ShowText(token.raw), "'");
}

absl::Status FilterErrorAt(int column, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("filter: column ", column, ": ", message));
}

void Lexer::Advance(size_t bytes) {
  for (size_t end = pos_ + bytes; pos_ < end; ++pos_) {
    if ((static_cast<uint8_t>(input_[pos_]) & 0xC0) != 0x80) ++column_;
  }
}

void Lexer::SkipSpace() {
  while (pos_ < input_.size() && IsSpace(input_[pos_])) Advance(1);
}

Token Lexer::Start(TokenKind kind, size_t bytes) {
  Token token;
  token.kind = kind;
  token.raw = input_.substr(pos_, bytes);
  token.column = column_;
  Advance(bytes);
  return token;
}

absl::StatusOr<Token> Lexer::Next() {
  SkipSpace();
  if (pos_ >= input_.size()) return Start(TokenKind::kEnd, 0);
  const char c = input_[pos_];
  if (c == '"' || c == '\'') return QuotedString();
  if (IsPunctuation(c)) return Punctuation(c);
  if (c == '-') {
    const char next = pos_ + 1 < input_.size() ? input_[pos_ + 1] : ' ';
    if (!IsDigit(next) && next != '.') return Start(TokenKind::kMinus, 1);
  }
  return Word();
}

absl::StatusOr<Token> Lexer::Punctuation(char c) {
  const bool then_eq = pos_ + 1 < input_.size() && input_[pos_ + 1] == '=';
  auto comparator = [&](Comparator op, size_t bytes) {
    Token token = Start(TokenKind::kComparator, bytes);
    token.comparator = op;
    return token;
  };
  switch (c) {
    case '(':
      return Start(TokenKind::kLeftParen, 1);
    case ')':
      return Start(TokenKind::kRightParen, 1);
    case ',':
      return Start(TokenKind::kComma, 1);
    case ':':
      return comparator(Comparator::kHas, 1);
    case '=':
      return comparator(Comparator::kEq, 1);
    case '<':
      return then_eq ? comparator(Comparator::kLe, 2)
                     : comparator(Comparator::kLt, 1);
    case '>':
      return then_eq ? comparator(Comparator::kGe, 2)
                     : comparator(Comparator::kGt, 1);
    default:  // '!'
      if (then_eq) return comparator(Comparator::kNe, 2);
      return FilterErrorAt(column_,
                           "expected '!=', found '!' (write NOT "
                           "or '-' to negate)");
  }
}

Token Lexer::Word() {
  size_t end = pos_ + 1;  // the first character is never space or punctuation
  while (end < input_.size() && !IsSpace(input_[end]) &&
         !IsPunctuation(input_[end])) {
    ++end;
  }
  Token token = Start(TokenKind::kWord, end - pos_);
  token.text = std::string(token.raw);
  Stars stars;
  for (size_t i = 0; i < token.text.size(); ++i) {
    if (token.text[i] == '*') stars.Add(i);
  }
  stars.Finish(token);
  return token;
}

absl::StatusOr<Token> Lexer::QuotedString() {
  const size_t start = pos_;
  const int column = column_;
  const char quote = input_[pos_];
  Advance(1);
  std::string text;
  Stars stars;
  while (pos_ < input_.size() && input_[pos_] != quote) {
    const char c = input_[pos_];
    if (c == '\\') {
      LMDBAPI_RETURN_IF_ERROR(Escape(&text));
      continue;
    }
    text.push_back(c);
    if (c == '*') stars.Add(text.size() - 1);
    Advance(1);
  }
  if (pos_ >= input_.size()) {
    return FilterErrorAt(
        column, absl::StrCat("expected a closing ", std::string(1, quote),
                             " for the string that starts here, found end "
                             "of input"));
  }
  Advance(1);
  Token token;
  token.kind = TokenKind::kString;
  token.raw = input_.substr(start, pos_ - start);
  token.column = column;
  token.text = std::move(text);
  stars.Finish(token);
  return token;
}

absl::Status Lexer::Escape(std::string* text) {
  const int column = column_;
  Advance(1);  // the backslash
  const char c = pos_ < input_.size() ? input_[pos_] : '\0';
  switch (c) {
    case '\\':
    case '"':
    case '\'':
    case '*':
      text->push_back(c);
      Advance(1);
      return absl::OkStatus();
    case 'n':
      text->push_back('\n');
      Advance(1);
      return absl::OkStatus();
    case 'r':
      text->push_back('\r');
      Advance(1);
      return absl::OkStatus();
    case 't':
      text->push_back('\t');
      Advance(1);
      return absl::OkStatus();
    case 'x':
      return HexEscape(column, text);
  }
  const size_t n = pos_ < input_.size() ? 1 : 0;
  return FilterErrorAt(
      column,
      absl::StrCat("unknown escape '\\", ShowText(input_.substr(pos_, n)),
                   "' in a string; the escapes are \\\\ \\\" \\' \\* \\n \\r "
                   "\\t and \\xHH"));
}

absl::Status Lexer::HexEscape(int column, std::string* text) {
  auto hex = [&](size_t i) -> int {
    if (pos_ + i >= input_.size()) return -1;
    const char c = absl::ascii_tolower(input_[pos_ + i]);
    if (IsDigit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int high = hex(1), low = hex(2);
  if (high < 0 || low < 0) {
    return FilterErrorAt(column,
                         "expected two hexadecimal digits after '\\x' in a "
                         "string");
  }
  text->push_back(static_cast<char>(high * 16 + low));
  Advance(3);
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage::filter
