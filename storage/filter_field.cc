#include "storage/filter_field.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "storage/filter_lexer.h"
#include "storage/filter_literal.h"

namespace lmdbapi::storage::filter {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kTimestampType[] = "google.protobuf.Timestamp";
// Names longer than this get no "did you mean".
constexpr size_t kMaxSuggestedLength = 64;

std::string TableOf(const TableSchema& table) {
  return absl::StrCat(table.name, " (", table.descriptor->full_name(), ")");
}

// Lower case without underscores: "feeCents" and "FEE_CENTS" fold to
// "feecents", as "fee_cents" does.
std::string Folded(absl::string_view name) {
  std::string folded;
  for (char c : name) {
    if (c != '_') folded.push_back(absl::ascii_tolower(c));
  }
  return folded;
}

// The Levenshtein distance of two short strings.
size_t Distance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The field of `message` that `name` probably means, or null.
const FieldDescriptor* Suggest(const Descriptor* message,
                               absl::string_view name) {
  if (name.size() > kMaxSuggestedLength) return nullptr;
  const FieldDescriptor* best = nullptr;
  size_t best_distance = name.size() >= 4 ? 3 : 2;  // at most 2 (or 1) edits
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* f = message->field(i);
    if (Folded(f->name()) == Folded(name)) return f;
    const size_t d = Distance(name, f->name());
    if (d < best_distance) {
      best = f;
      best_distance = d;
    }
  }
  return best;
}

// `names[i]` is not a field of `message`.
absl::Status Unknown(const TableSchema& table,
                     const std::vector<absl::string_view>& names, size_t i,
                     const Descriptor* message, int column) {
  const std::vector<absl::string_view> parent(names.begin(), names.begin() + i);
  const std::string prefix = absl::StrJoin(parent, ".");
  const std::string dotted = prefix.empty() ? "" : prefix + ".";
  std::string text = absl::StrCat("'", dotted, names[i], "' is not a field of ",
                                  TableOf(table));
  if (i > 0) {
    absl::StrAppend(&text, ": ", message->full_name(), " has no field '",
                    names[i], "'");
  }
  if (const FieldDescriptor* f = Suggest(message, names[i])) {
    absl::StrAppend(&text, "; did you mean '", dotted, f->name(), "'?");
  }
  const std::string folded = Folded(names[i]);
  if (folded == "and" || folded == "or" || folded == "not") {
    absl::StrAppend(&text, "; AND, OR and NOT are written in upper case");
  }
  return FilterErrorAt(column, text);
}

// `step` leads from a message to the next name of `path`.
absl::Status CheckStep(const std::string& path, const FieldDescriptor* step,
                       int column) {
  const std::string head =
      absl::StrCat("'", path, "' is not a field: '", step->name(), "' is ");
  if (step->is_map()) {
    return FilterErrorAt(column,
                         absl::StrCat(head,
                                      "a map field; filters cannot look into "
                                      "maps"));
  }
  if (step->is_repeated()) {
    return FilterErrorAt(
        column, absl::StrCat(head,
                             "a repeated field; filters look into singular "
                             "messages only"));
  }
  if (step->message_type() == nullptr) {
    return FilterErrorAt(
        column, absl::StrCat(head, FieldTypePhrase(step), ", not a message"));
  }
  if (step->message_type()->full_name() == kTimestampType) {
    return FilterErrorAt(column,
                         absl::StrCat(head, "a ", kTimestampType,
                                      " field, compared whole: ", step->name(),
                                      " > \"2024-01-02T03:04:05Z\""));
  }
  return absl::OkStatus();
}

// The leaf `path` names cannot be compared.
absl::Status Uncomparable(const std::string& path, const FieldDescriptor* f,
                          int column) {
  const std::string head = absl::StrCat("field '", path, "' is ");
  if (f->is_map()) {
    return FilterErrorAt(column, head +
                                     "a map field; filters cannot "
                                     "compare maps");
  }
  if (f->is_repeated()) {
    return FilterErrorAt(column, head +
                                     "a repeated message field; filters "
                                     "cannot compare its elements");
  }
  const Descriptor* m = f->message_type();
  std::string text = absl::StrCat(head, "a message field (", m->full_name(),
                                  "); compare one of its fields");
  if (m->field_count() > 0) {
    absl::StrAppend(&text, ", such as '", path, ".", m->field(0)->name(), "'");
  }
  return FilterErrorAt(column, text);
}

bool IsServerMaintained(const TableSchema& table, const FieldRef& ref) {
  if (!ref.path.empty()) return false;
  for (const FieldRef* kept :
       {&table.revision, &table.create_time, &table.update_time}) {
    if (kept->field != nullptr && kept->field == ref.field) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<FieldRef> ResolveFieldPath(const TableSchema& table,
                                          const std::string& path, int column) {
  const std::vector<absl::string_view> names = absl::StrSplit(path, '.');
  const Descriptor* message = table.descriptor;
  FieldRef ref;
  for (size_t i = 0; i < names.size(); ++i) {
    // The first name is a field of the record: the table's map finds it.
    const FieldDescriptor* f =
        i == 0 ? table.FindField(names[0])
               : message->FindFieldByName(std::string(names[i]));
    if (f == nullptr) return Unknown(table, names, i, message, column);
    if (i + 1 == names.size()) {
      ref.field = f;
      break;
    }
    LMDBAPI_RETURN_IF_ERROR(CheckStep(path, f, column));
    ref.path.push_back(f);
    message = f->message_type();
  }
  absl::StatusOr<FieldKind> kind = ElementKindOf(ref.field);
  if (!kind.ok()) return Uncomparable(path, ref.field, column);
  ref.kind = *kind;
  if (IsServerMaintained(table, ref)) {
    return FilterErrorAt(
        column, absl::StrCat("field '", path,
                             "' is maintained by the server and not stored "
                             "in records; filters cannot use it"));
  }
  return ref;
}

}  // namespace lmdbapi::storage::filter
