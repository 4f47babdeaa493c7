#include "storage/query.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "storage/page_token.h"

namespace lmdbapi::storage {
namespace {

bool IsRange(Op op) { return op != Op::kEq; }
bool IsLower(Op op) { return op == Op::kGt || op == Op::kGe; }

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

// How many leading fields of `fields` the predicates serve with equality,
// and whether the next field has a range.
struct Fit {
  size_t eq = 0;
  bool range = false;
  int score() const { return static_cast<int>(2 * eq + (range ? 1 : 0)); }
};

const BoundPredicate* FindPredicate(const std::vector<BoundPredicate>& preds,
                                    const google::protobuf::FieldDescriptor* f,
                                    bool want_range, bool lower) {
  for (const BoundPredicate& p : preds) {
    if (p.field.field != f) continue;
    if (!want_range && p.op == Op::kEq) return &p;
    if (want_range && IsRange(p.op) && IsLower(p.op) == lower) return &p;
  }
  return nullptr;
}

Fit FitIndex(const std::vector<FieldRef>& fields,
             const std::vector<BoundPredicate>& preds) {
  Fit fit;
  while (fit.eq < fields.size() &&
         FindPredicate(preds, fields[fit.eq].field, false, false) != nullptr) {
    ++fit.eq;
  }
  if (fit.eq < fields.size()) {
    const auto* f = fields[fit.eq].field;
    fit.range = FindPredicate(preds, f, true, true) != nullptr ||
                FindPredicate(preds, f, true, false) != nullptr;
  }
  return fit;
}

// Resolves each predicate's field and converts its value to the field's
// kind (INVALID_ARGUMENT naming the field).
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

// The first index with the best Fit (into `fit`, which starts empty), or null
// when no index serves any predicate.
const IndexSchema* BestIndex(const TableSchema& table,
                             const std::vector<BoundPredicate>& bound,
                             Fit* fit) {
  const IndexSchema* best = nullptr;
  for (const IndexSchema& index : table.indexes) {
    Fit candidate = FitIndex(index.fields, bound);
    if (candidate.score() > fit->score()) {
      *fit = candidate;
      best = &index;
    }
  }
  return best;
}

// A scan of `index` over the keys that start with the values of the
// equality predicates `fit` found, narrowed by the range on the next field.
// Appends the predicates it serves to `used`.
void PlanIndexScan(const IndexSchema& index, const Fit& fit,
                   const std::vector<BoundPredicate>& bound, Plan* plan,
                   std::vector<const BoundPredicate*>* used) {
  plan->kind = Plan::Kind::kIndexScan;
  plan->index = &index;
  std::string prefix;
  TupleWriter writer(&prefix);
  for (size_t i = 0; i < fit.eq; ++i) {
    const FieldRef& f = index.fields[i];
    const BoundPredicate* eq = FindPredicate(bound, f.field, false, false);
    used->push_back(eq);
    AppendValue(eq->value, f.kind, writer);
  }
  plan->start = prefix;
  plan->end = PrefixSuccessor(prefix);
  if (!fit.range) return;
  const FieldRef& f = index.fields[fit.eq];
  if (const BoundPredicate* lo = FindPredicate(bound, f.field, true, true)) {
    used->push_back(lo);
    std::string key = prefix;
    TupleWriter w(&key);
    AppendValue(lo->value, f.kind, w);
    if (lo->op == Op::kGe) {
      plan->start = key;
    } else {
      std::optional<std::string> next = PrefixSuccessor(key);
      plan->start = next.value_or(key);
      if (!next) plan->end = plan->start;  // nothing can be greater
    }
  }
  if (const BoundPredicate* hi = FindPredicate(bound, f.field, true, false)) {
    used->push_back(hi);
    std::string key = prefix;
    TupleWriter w(&key);
    AppendValue(hi->value, f.kind, w);
    plan->end = hi->op == Op::kLt ? std::optional<std::string>(key)
                                  : PrefixSuccessor(key);
  }
}

// A scan of the records between the bounds of the primary key's range
// predicates. Appends the predicates it serves to `used`.
void PlanPrimaryKeyRange(const FieldRef& primary_key,
                         const std::vector<BoundPredicate>& bound, Plan* plan,
                         std::vector<const BoundPredicate*>* used) {
  plan->kind = Plan::Kind::kPrimaryKeyRange;
  if (const BoundPredicate* lo =
          FindPredicate(bound, primary_key.field, true, true)) {
    used->push_back(lo);
    plan->start = std::get<std::string>(lo->value);
    if (lo->op == Op::kGt) plan->start.push_back('\0');
  }
  if (const BoundPredicate* hi =
          FindPredicate(bound, primary_key.field, true, false)) {
    used->push_back(hi);
    std::string end = std::get<std::string>(hi->value);
    if (hi->op == Op::kLe) end.push_back('\0');
    plan->end = end;
  }
}

}  // namespace

uint64_t Plan::Fingerprint(const TableSchema& table) const {
  std::vector<std::string> parts;
  for (const auto* list : {&consumed, &residual}) {
    for (const BoundPredicate& p : *list) {
      std::string part = absl::StrCat(p.field.field->number(), ":",
                                      static_cast<int>(p.op), ":");
      TupleWriter writer(&part);
      AppendValue(p.value, p.field.kind, writer);
      parts.push_back(std::move(part));
    }
  }
  std::sort(parts.begin(), parts.end());
  static constexpr TokenSecret kFingerprintKey = {};
  return SipHash24(kFingerprintKey,
                   absl::StrCat(table.name, "|", absl::StrJoin(parts, "|")));
}

std::optional<std::string> PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<uint8_t>(s.back()) == 0xFF) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<uint8_t>(s.back()) + 1);
  return s;
}

std::string Plan::Describe() const {
  auto list = [](const std::vector<BoundPredicate>& preds) {
    std::vector<std::string> parts;
    for (const auto& p : preds) parts.push_back(p.DebugString());
    return absl::StrJoin(parts, ", ");
  };
  std::string text;
  switch (kind) {
    case Kind::kPrimaryKeyLookup:
      text = absl::StrCat("primary key lookup (", list(consumed), ")");
      break;
    case Kind::kPrimaryKeyRange:
      text = absl::StrCat("primary key range (", list(consumed), ")");
      break;
    case Kind::kIndexScan:
      text = absl::StrCat("index ", index->name, " (", list(consumed), ")");
      break;
    case Kind::kFullScan:
      text = "full scan";
      break;
  }
  if (!residual.empty()) absl::StrAppend(&text, "; residual: ", list(residual));
  return text;
}

absl::StatusOr<Plan> PlanQuery(const TableSchema& table,
                               const std::vector<Predicate>& predicates) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<BoundPredicate> bound,
                           BindPredicates(table, predicates));
  Plan plan;
  std::vector<const BoundPredicate*> used;  // points into `bound`
  const std::vector<FieldRef> pk_fields = {table.primary_key};
  Fit pk_fit = FitIndex(pk_fields, bound);
  Fit best;
  const IndexSchema* best_index = BestIndex(table, bound, &best);
  if (pk_fit.eq == 1) {
    plan.kind = Plan::Kind::kPrimaryKeyLookup;
    const BoundPredicate* eq =
        FindPredicate(bound, table.primary_key.field, false, false);
    used.push_back(eq);
    plan.start = std::get<std::string>(eq->value);
  } else if (best_index != nullptr && best.score() >= pk_fit.score() &&
             best.score() > 0) {
    PlanIndexScan(*best_index, best, bound, &plan, &used);
  } else if (pk_fit.range) {
    PlanPrimaryKeyRange(table.primary_key, bound, &plan, &used);
  } else {
    plan.kind = Plan::Kind::kFullScan;
  }

  for (const BoundPredicate* p : used) plan.consumed.push_back(*p);
  for (const BoundPredicate& p : bound) {
    if (std::find(used.begin(), used.end(), &p) == used.end()) {
      plan.residual.push_back(p);
    }
  }
  return plan;
}

absl::StatusOr<Plan> PlanQuery(const TableSchema& table, const Query& query) {
  // Interim: the typed predicates plan; the filter is checked on each record.
  LMDBAPI_ASSIGN_OR_RETURN(Plan plan, PlanQuery(table, query.predicates));
  LMDBAPI_ASSIGN_OR_RETURN(Expr filter, ParseFilter(table, query.filter));
  std::vector<Expr> all;
  for (const auto* list : {&plan.consumed, &plan.residual}) {
    for (const BoundPredicate& p : *list) all.push_back(Expr::Of(p));
  }
  all.push_back(std::move(filter));
  plan.where = Expr::And(std::move(all));
  return plan;
}

}  // namespace lmdbapi::storage
