#include "storage/order_by.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool IsServerMaintained(const TableSchema& table, const FieldRef& ref) {
  if (!ref.path.empty()) return false;
  for (const FieldRef* f :
       {&table.revision, &table.create_time, &table.update_time}) {
    if (f->field == ref.field) return true;
  }
  return false;
}

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
  absl::StatusOr<FieldRef> field = ResolvePath(table, words[0]);
  if (!field.ok()) return bad(field.status().message());
  if (field->repeated()) {
    return bad("a repeated field has no single value to order by");
  }
  if (IsServerMaintained(table, *field)) {
    return bad(
        "the server maintains this field outside the record; order by the "
        "primary key (a UUIDv7 grows with time) or an indexed field");
  }
  out.field = *std::move(field);
  return out;
}

}  // namespace

bool SameField(const FieldRef& a, const FieldRef& b) {
  return a.field == b.field && a.path == b.path;
}

absl::StatusOr<FieldRef> ResolvePath(const TableSchema& table,
                                     absl::string_view path) {
  const Descriptor* message = table.descriptor;
  FieldRef ref;
  std::vector<absl::string_view> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    const FieldDescriptor* f =
        message == nullptr ? nullptr
                           : message->FindFieldByName(std::string(steps[i]));
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", path, "' is not a field of ", table.name, " (",
                       table.descriptor->full_name(), ")"));
    }
    if (i + 1 == steps.size()) {
      ref.field = f;
      break;
    }
    if (f->is_repeated() || f->message_type() == nullptr ||
        KindOfField(f).ok()) {  // a Timestamp is a leaf
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "': '", f->name(),
          "' is not a singular message field, so the path cannot go "
          "through it"));
    }
    ref.path.push_back(f);
    message = f->message_type();
  }
  absl::StatusOr<FieldKind> kind = ElementKindOf(ref.field);
  if (!kind.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path,
        "' cannot be compared or ordered: ", kind.status().message()));
  }
  ref.kind = *kind;
  return ref;
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
