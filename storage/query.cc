#include "storage/query.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "storage/page_token.h"

namespace lmdbapi::storage {
namespace {

// Converts numeric values between the integer and floating kinds when the
// value is representable, so callers need not match proto types exactly.
absl::StatusOr<Value> Coerce(const Value& value, const FieldRef& field) {
  if (ValueHasKind(value, field.kind)) return value;
  auto mismatch = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "field '", field.field->name(), "' is a ", FieldKindName(field.kind),
        " field; the filter value ", ValueDebugString(value), " does not fit"));
  };
  if (field.kind == FieldKind::kInt64 &&
      std::holds_alternative<uint64_t>(value)) {
    uint64_t v = std::get<uint64_t>(value);
    if (v > static_cast<uint64_t>(INT64_MAX)) return mismatch();
    return Value(static_cast<int64_t>(v));
  }
  if (field.kind == FieldKind::kUint64 &&
      std::holds_alternative<int64_t>(value)) {
    int64_t v = std::get<int64_t>(value);
    if (v < 0) return mismatch();
    return Value(static_cast<uint64_t>(v));
  }
  if (field.kind == FieldKind::kDouble) {
    if (std::holds_alternative<int64_t>(value)) {
      return Value(static_cast<double>(std::get<int64_t>(value)));
    }
    if (std::holds_alternative<uint64_t>(value)) {
      return Value(static_cast<double>(std::get<uint64_t>(value)));
    }
  }
  return mismatch();
}

}  // namespace

absl::StatusOr<std::vector<BoundPredicate>> BindPredicates(
    const TableSchema& table, const std::vector<Predicate>& predicates) {
  std::vector<BoundPredicate> bound;
  bound.reserve(predicates.size());
  for (const Predicate& p : predicates) {
    const auto* field = table.FindField(p.field);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", p.field, "' is not a field of ", table.name,
                       " (", table.descriptor->full_name(), ")"));
    }
    LMDBAPI_ASSIGN_OR_RETURN(FieldKind kind, KindOfField(field));
    FieldRef ref{field, kind};
    LMDBAPI_ASSIGN_OR_RETURN(Value value, Coerce(p.value, ref));
    bound.push_back(BoundPredicate{ref, p.op, std::move(value)});
  }
  return bound;
}

std::optional<std::string> PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<uint8_t>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<uint8_t>(s.back()) + 1);
  return s;
}

uint64_t Plan::Fingerprint(const TableSchema& table) const {
  // The conjuncts in any order are the same query.
  std::vector<std::string> parts;
  if (where.kind == Expr::Kind::kAnd) {
    for (const Expr& e : where.children) parts.push_back(e.DebugString());
  } else {
    parts.push_back(where.DebugString());
  }
  std::sort(parts.begin(), parts.end());
  static constexpr TokenSecret kFingerprintKey = {};
  return SipHash24(
      kFingerprintKey,
      absl::StrCat(table.name, "|", static_cast<int>(kind), "|",
                   index != nullptr ? index->name : "", "|",
                   absl::StrJoin(parts, "\n"), "|", order_by, "|", backward));
}

absl::StatusOr<std::string> Plan::SortKeyOf(
    const google::protobuf::Message& record, absl::string_view pk) const {
  std::string key;
  TupleWriter writer(&key);
  for (const FieldRef& field : order) {
    LMDBAPI_RETURN_IF_ERROR(AppendField(record, field, writer));
  }
  key.append(pk.data(), pk.size());
  return key;
}

std::string Plan::Describe() const {
  std::string text;
  text.reserve(128);
  switch (kind) {
    case Kind::kPrimaryKeyLookup:
      text = "primary key lookup";
      text.append(consumed.empty() ? std::string_view(" ()")
                                   : std::string_view(consumed));
      break;
    case Kind::kPrimaryKeyRange:
      text = "primary key range";
      text.append(consumed.empty() ? std::string_view(" ()")
                                   : std::string_view(consumed));
      break;
    case Kind::kIndexScan:
      text.append("index ").append(index->name);
      text.append(consumed);
      break;
    case Kind::kUnion:
      text = absl::StrCat(
          "union of ",
          absl::StrJoin(ranges, " | ", [](std::string* out, const KeyRange& r) {
            absl::StrAppend(out,
                            r.index != nullptr
                                ? absl::StrCat("index ", r.index->name)
                                : std::string("primary key"),
                            " (", r.text, ")");
          }));
      break;
    case Kind::kFullScan:
      text = "full scan";
      break;
  }
  if (kind != Kind::kUnion && ranges.size() > 1) {
    absl::StrAppend(&text, "; ", ranges.size(), " ranges");
  }
  if (!order_by.empty()) absl::StrAppend(&text, "; order_by ", order_by);
  if (backward) absl::StrAppend(&text, " (read backward)");
  if (residual.kind != Expr::Kind::kTrue) {
    absl::StrAppend(&text, "; residual: ", residual.DebugString());
  }
  for (const std::string& note : not_used) absl::StrAppend(&text, "; ", note);
  return text;
}

}  // namespace lmdbapi::storage
