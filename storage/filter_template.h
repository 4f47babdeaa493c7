// A filter asked again with other values. A service builds its filters from
// a few patterns (`client = "C1042" AND county = "Kings"`), so most texts it
// sends are a pattern the table has seen with new values. FilterText reads a
// text into its shape (its tokens, each value reduced to its kind) and its
// values; FilterTemplate keeps the bound expression of one text of a shape
// and makes another text's expression by binding only the new values, with
// no parse and no field lookup (for a filter of three comparisons, ~7,900
// instructions where parsing and binding cost ~23,700).
//
//   std::optional<FilterText> text = FilterText::Read("client = \"C7\"");
//   // text->shape: the same as "client = \"C8\""'s
//   std::shared_ptr<const FilterTemplate> t = FilterTemplate::Of(
//       table, "client = \"C7\"", *text);
//   std::optional<Expr> filter = t->Bind(*FilterText::Read("client = \"C8\""));
//   // nullopt when a value does not bind: ParseFilter the text for the error
//
// Two texts of one shape have the same tokens but for their values, which
// are of the same kind (a quoted string, or a bare word that is not AND, OR
// or NOT) with the same '*'s: the parser reads them the same way, and each
// value binds to the same field with the same operator.
#ifndef LMDBAPI_STORAGE_FILTER_TEMPLATE_H_
#define LMDBAPI_STORAGE_FILTER_TEMPLATE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/filter_expr.h"
#include "storage/filter_parser.h"
#include "storage/schema.h"

namespace lmdbapi::storage {

struct FilterText {
  std::string shape;                    // the tokens, values as their kind
  std::vector<filter::Literal> values;  // in the order of the text

  // nullopt when `text` does not lex or is over the parser's limit (the
  // parser then says why).
  static std::optional<FilterText> Read(absl::string_view text);
};

class FilterTemplate {
 public:
  // The template of `text` (read as `read`), or null when it does not
  // parse and bind.
  static std::shared_ptr<const FilterTemplate> Of(const TableSchema& table,
                                                  absl::string_view text,
                                                  const FilterText& read);

  // What ParseFilter gives for a text of this template's shape, read as
  // `text`; nullopt when one of its values does not bind to its field.
  std::optional<Expr> Bind(const FilterText& text) const;

 private:
  Expr bound_;  // the template text's
  // For each value of the text: which predicate of bound_ (counted in
  // order, depth first) compares with it.
  std::vector<size_t> predicate_of_value_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_FILTER_TEMPLATE_H_
