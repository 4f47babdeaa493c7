#include "storage/order_by.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "storage/filter_field.h"

namespace lmdbapi::storage {
namespace {

absl::StatusOr<OrderTerm> ParseTerm(const TableSchema& table,
                                    absl::string_view term) {
  std::vector<absl::string_view> words =
      absl::StrSplit(term, ' ', absl::SkipWhitespace());
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("order_by: '", absl::StripAsciiWhitespace(term),
                     "': ", why, " (expected \"<field> [asc|desc], ...\")"));
  };
  if (words.empty()) return bad("empty term");
  if (words.size() > 2) return bad("more than a field and a direction");
  OrderTerm out;
  if (words.size() == 2) {
    if (words[1] != "asc" && words[1] != "desc") {
      return bad(absl::StrCat("'", words[1], "' is not asc or desc"));
    }
    out.descending = words[1] == "desc";
  }
  const std::string path(words[0]);
  for (const FieldRef* f :
       {&table.revision, &table.create_time, &table.update_time}) {
    if (f->field != nullptr && f->field->name() == path) {
      return bad(
          "the server maintains this field outside the record; order by the "
          "primary key (a UUIDv7 grows with time) or an indexed field");
    }
  }
  absl::StatusOr<FieldRef> field = filter::ResolveFieldPath(table, path, 1);
  if (!field.ok()) {  // the filter's words for a path, without its column
    absl::string_view why = field.status().message();
    why.remove_prefix(std::min(why.size(), sizeof("filter: column 1: ") - 1));
    return bad(why);
  }
  if (field->repeated()) {
    return bad("a repeated field has no single value to order by");
  }
  out.field = *std::move(field);
  return out;
}

}  // namespace

bool SameField(const FieldRef& a, const FieldRef& b) {
  return a.field == b.field && a.path == b.path;
}

absl::StatusOr<std::vector<OrderTerm>> ParseOrderBy(const TableSchema& table,
                                                    absl::string_view text) {
  std::vector<OrderTerm> terms;
  if (absl::StripAsciiWhitespace(text).empty()) return terms;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    LMDBAPI_ASSIGN_OR_RETURN(OrderTerm term, ParseTerm(table, part));
    for (const OrderTerm& seen : terms) {
      if (SameField(seen.field, term.field)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "order_by: '", term.field.Name(), "' is listed twice"));
      }
    }
    terms.push_back(std::move(term));
  }
  return terms;
}

std::string OrderByText(const std::vector<OrderTerm>& terms) {
  return absl::StrJoin(terms, ", ", [](std::string* out, const OrderTerm& t) {
    absl::StrAppend(out, t.field.Name(), t.descending ? " desc" : "");
  });
}

}  // namespace lmdbapi::storage
