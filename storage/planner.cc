// The query planner (storage/query.h): reads a query's condition as a
// conjunction, finds what each conjunct can tell an index, scores every
// access path, and builds the chosen one's key ranges.
#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "base/status_macros.h"
#include "storage/order_by.h"
#include "storage/query.h"
#include "storage/tuple.h"

namespace lmdbapi::storage {
namespace {

// A bound on one field, in that field's key bytes (tuple encoding in an
// index, the raw string for the primary key).
struct Interval {
  enum class Lo { kNone, kAt, kAfter };
  enum class Hi { kNone, kBefore, kThrough, kPrefix };
  Lo lo_mode = Lo::kNone;
  std::string lo;
  Hi hi_mode = Hi::kNone;
  std::string hi;
  // The comparisons it comes from (a second one: the other bound), spelled
  // out only for a union's Describe.
  const BoundPredicate* from = nullptr;
  const BoundPredicate* also = nullptr;
  std::string Text() const {
    return also == nullptr
               ? from->DebugString()
               : absl::StrCat(from->DebugString(), ", ", also->DebugString());
  }
};

// What one conjunct (or a lower and an upper bound from two) says about one
// field that a key range can answer: a set of values, or of intervals.
// Points at the conjuncts' predicates, which outlive the planner.
struct Constraint {
  const FieldRef* field = nullptr;
  absl::InlinedVector<size_t, 2> conjuncts;
  absl::InlinedVector<const Value*, 2> points;  // non-empty: a set of values
  std::vector<Interval> intervals;              // else
  bool bounds = false;  // intervals holds one, from < <= > >= conjuncts
  bool is_points() const { return !points.empty(); }
};

// Appends the key bytes of a value of `field`: its tuple encoding in an
// index, the string itself for the primary key.
void AppendKeyBytes(const Value& value, FieldKind kind, bool raw,
                    std::string* key) {
  if (raw) {
    key->append(std::get<std::string>(value));
    return;
  }
  TupleWriter writer(key);
  AppendValue(value, kind, writer);
}

std::string KeyBytes(const Value& value, FieldKind kind, bool raw) {
  std::string bytes;
  AppendKeyBytes(value, kind, raw, &bytes);
  return bytes;
}

// The key bytes every string starting with `prefix` starts with.
std::string PrefixBytes(const std::string& prefix, bool raw) {
  if (raw) return prefix;
  std::string bytes;
  TupleWriter(&bytes).AppendString(prefix);
  bytes.resize(bytes.size() - 2);  // the terminator
  return bytes;
}

Interval IntervalOf(const BoundPredicate& p, bool raw) {
  Interval i;
  i.from = &p;
  if (p.op == Op::kPrefix) {
    i.lo_mode = Interval::Lo::kAt;
    i.lo = PrefixBytes(std::get<std::string>(p.value), raw);
    i.hi_mode = Interval::Hi::kPrefix;
    i.hi = i.lo;
    return i;
  }
  std::string bytes = KeyBytes(p.value, p.field.kind, raw);
  if (p.op == Op::kGe || p.op == Op::kGt) {
    i.lo_mode = p.op == Op::kGe ? Interval::Lo::kAt : Interval::Lo::kAfter;
    i.lo = std::move(bytes);
  } else {
    i.hi_mode =
        p.op == Op::kLt ? Interval::Hi::kBefore : Interval::Hi::kThrough;
    i.hi = std::move(bytes);
  }
  return i;
}

bool IsLower(Op op) { return op == Op::kGt || op == Op::kGe; }
bool IsUpper(Op op) { return op == Op::kLt || op == Op::kLe; }

// The leaves of an OR on one field whose every branch is an equality or a
// prefix; false for anything else.
bool OrOnOneField(const Expr& e, std::vector<const BoundPredicate*>* leaves) {
  if (e.kind != Expr::Kind::kOr) return false;
  for (const Expr& child : e.children) {
    if (child.kind != Expr::Kind::kPredicate) return false;
    const BoundPredicate& p = child.predicate;
    if (p.op != Op::kEq && p.op != Op::kPrefix) return false;
    if (!leaves->empty() && !SameField(leaves->front()->field, p.field)) {
      return false;
    }
    leaves->push_back(&p);
  }
  return true;
}

class Planner {
 public:
  // Keeps references to `conjuncts`, `order` and `skip` (indexes it may
  // not use).
  Planner(const TableSchema& table, const std::vector<Expr>& conjuncts,
          const std::vector<OrderTerm>& order,
          const std::vector<const IndexSchema*>& skip)
      : table_(table), conjuncts_(conjuncts), order_(order), skip_(skip) {
    Collect();
  }

  // The best plan of the conjunction, into `plan` (a default one), or
  // INVALID_ARGUMENT naming order_by when no index can serve the order.
  absl::Status Best(Plan* plan);
  // A plan whose results are ordered by exactly the order fields, then the
  // primary key, from ranges that fix every field before them: what a
  // branch of a union must be. nullopt when there is none.
  std::optional<Plan> Branch();
  // What Best chose, by the places of its constraints (nullopt past the
  // places a choice can name).
  std::optional<PlanChoice> Chosen() const;
  // Builds the plan `choice` describes into `plan` (a default one); false,
  // leaving it untouched, when the query's constraints do not fit it.
  bool Replay(const PlanChoice& choice, Plan* plan) const;

 private:
  struct Candidate {
    const IndexSchema* index = nullptr;  // nullptr: the primary key
    absl::InlinedVector<const Constraint*, 4> points;
    const Constraint* interval = nullptr;
    size_t fixed = 0;  // leading fields held out of the order
    bool usable = true;
    int score() const;
  };

  void Collect();
  void CollectLeaf(const BoundPredicate& p, size_t conjunct);
  void CollectBound(const BoundPredicate& p, size_t conjunct, bool raw);
  void CollectOr(const std::vector<const BoundPredicate*>& leaves,
                 size_t conjunct);
  const Constraint* Find(const FieldRef& field, bool points) const;
  Candidate Fit(const IndexSchema* index) const;
  // The primary key's candidate and every usable index's.
  absl::InlinedVector<Candidate, 8> Candidates() const;
  absl::Span<const FieldRef> FieldsOf(const IndexSchema* index) const;
  bool IsConstant(const FieldRef& field) const;
  // The terms of order_by that are not held to one value.
  std::vector<OrderTerm> Rest() const;
  // Whether `c`, holding its first `fixed` fields out, yields the order;
  // `exact`: the order fields are exactly those after them.
  bool Serves(const Candidate& c, size_t fixed, bool exact) const;
  bool ChooseFixed(Candidate* c, bool exact) const;
  // Fills `plan`, a default one: a Plan is costly to move (hundreds of
  // instructions), so planning fills the caller's.
  void Build(const Candidate& c, Plan* plan) const;
  void BuildRanges(const Candidate& c, Plan* plan) const;
  absl::Status OrderError() const;

  const TableSchema& table_;
  const std::vector<Expr>& conjuncts_;
  const std::vector<OrderTerm>& order_;
  const std::vector<const IndexSchema*>& skip_;
  // Points into it stay valid: it is filled once, by Collect.
  absl::InlinedVector<Constraint, 4> constraints_;
  bool branch_ = false;              // planning a branch of a union
  std::optional<Candidate> chosen_;  // Best's
};

int Planner::Candidate::score() const {
  if (index == nullptr && !points.empty()) return 1 << 20;  // lookups
  return static_cast<int>(2 * points.size() + (interval != nullptr ? 1 : 0));
}

void Planner::CollectLeaf(const BoundPredicate& p, size_t conjunct) {
  const bool raw = SameField(p.field, table_.primary_key);
  if (p.op == Op::kEq) {
    constraints_.push_back({&p.field, {conjunct}, {&p.value}, {}});
  } else if (p.op == Op::kPrefix && !p.field.repeated()) {
    constraints_.push_back({&p.field, {conjunct}, {}, {IntervalOf(p, raw)}});
  } else if ((IsLower(p.op) || IsUpper(p.op)) && !p.field.repeated()) {
    CollectBound(p, conjunct, raw);
  }
}

// A lower and an upper bound on one singular field make one interval (the
// first of each; any other stays in the residual).
void Planner::CollectBound(const BoundPredicate& p, size_t conjunct, bool raw) {
  Interval mine = IntervalOf(p, raw);
  for (Constraint& k : constraints_) {
    if (!k.bounds || !SameField(*k.field, p.field)) continue;
    Interval& have = k.intervals.front();
    if (IsLower(p.op) && have.lo_mode == Interval::Lo::kNone) {
      have.lo_mode = mine.lo_mode;
      have.lo = std::move(mine.lo);
    } else if (IsUpper(p.op) && have.hi_mode == Interval::Hi::kNone) {
      have.hi_mode = mine.hi_mode;
      have.hi = std::move(mine.hi);
    } else {
      return;
    }
    have.also = &p;
    k.conjuncts.push_back(conjunct);
    return;
  }
  Constraint bound{&p.field, {conjunct}, {}, {std::move(mine)}};
  bound.bounds = true;
  constraints_.push_back(std::move(bound));
}

// An OR of equalities on one field is a set of values; with a prefix among
// them, a set of intervals (not on a repeated field: one record would come
// from several places in the order).
void Planner::CollectOr(const std::vector<const BoundPredicate*>& leaves,
                        size_t conjunct) {
  const FieldRef& field = leaves.front()->field;
  const bool raw = SameField(field, table_.primary_key);
  bool all_points = true;
  for (const BoundPredicate* p : leaves) all_points &= p->op == Op::kEq;
  if (!all_points && field.repeated()) return;
  Constraint set{&field, {conjunct}, {}, {}};
  for (const BoundPredicate* p : leaves) {
    if (all_points) {
      set.points.push_back(&p->value);
      continue;
    }
    Interval i;
    if (p->op == Op::kEq) {  // [v, v]
      i.from = p;
      i.lo_mode = Interval::Lo::kAt;
      i.lo = KeyBytes(p->value, field.kind, raw);
      i.hi_mode = Interval::Hi::kThrough;
      i.hi = i.lo;
    } else {
      i = IntervalOf(*p, raw);
    }
    set.intervals.push_back(std::move(i));
  }
  constraints_.push_back(std::move(set));
}

void Planner::Collect() {
  constraints_.reserve(conjuncts_.size());
  for (size_t i = 0; i < conjuncts_.size(); ++i) {
    const Expr& c = conjuncts_[i];
    std::vector<const BoundPredicate*> leaves;
    if (c.kind == Expr::Kind::kPredicate) {
      CollectLeaf(c.predicate, i);
    } else if (OrOnOneField(c, &leaves)) {
      CollectOr(leaves, i);
    }
  }
}

constexpr size_t kMaxRanges = 256;

absl::Span<const FieldRef> Planner::FieldsOf(const IndexSchema* index) const {
  if (index == nullptr) return absl::MakeConstSpan(&table_.primary_key, 1);
  return index->fields;
}

const Constraint* Planner::Find(const FieldRef& field, bool points) const {
  for (const Constraint& c : constraints_) {
    if (c.is_points() == points && SameField(*c.field, field)) return &c;
  }
  return nullptr;
}

Planner::Candidate Planner::Fit(const IndexSchema* index) const {
  Candidate c;
  c.index = index;
  absl::Span<const FieldRef> fields = FieldsOf(index);
  size_t ranges = 1;
  size_t pos = 0;
  for (; pos < fields.size(); ++pos) {
    const Constraint* p = Find(fields[pos], true);
    if (p == nullptr || ranges * p->points.size() > kMaxRanges) break;
    ranges *= p->points.size();
    c.points.push_back(p);
  }
  if (pos < fields.size() && !fields[pos].repeated()) {
    const Constraint* i = Find(fields[pos], false);
    if (i != nullptr && ranges * i->intervals.size() <= kMaxRanges) {
      c.interval = i;
    }
  }
  // An index has no entry for a record whose repeated field is empty: it
  // serves only queries that hold that field to values.
  for (size_t k = c.points.size(); k < fields.size(); ++k) {
    c.usable &= !fields[k].repeated();
  }
  return c;
}

absl::InlinedVector<Planner::Candidate, 8> Planner::Candidates() const {
  absl::InlinedVector<Candidate, 8> candidates;
  candidates.reserve(table_.indexes.size() + 1);
  candidates.push_back(Fit(nullptr));
  for (const IndexSchema& index : table_.indexes) {
    if (std::find(skip_.begin(), skip_.end(), &index) != skip_.end()) continue;
    candidates.push_back(Fit(&index));
  }
  return candidates;
}

bool Planner::IsConstant(const FieldRef& field) const {
  const Constraint* c = Find(field, true);
  return c != nullptr && c->points.size() == 1 && !field.repeated();
}

std::vector<OrderTerm> Planner::Rest() const {
  // A union's branches all order by every term, held equal in them or not,
  // so that their results merge.
  if (branch_) return order_;
  std::vector<OrderTerm> rest;
  for (const OrderTerm& t : order_) {
    if (!IsConstant(t.field)) rest.push_back(t);
  }
  return rest;
}

bool Planner::Serves(const Candidate& c, size_t fixed, bool exact) const {
  absl::Span<const FieldRef> fields = FieldsOf(c.index);
  if (order_.empty() && !exact) {  // any order: no repeated field after
    if (c.index == nullptr) return true;
    for (size_t k = fixed; k < fields.size(); ++k) {
      if (fields[k].repeated()) return false;
    }
    return true;
  }
  std::vector<FieldRef> after;  // what records order by, before the pk
  if (c.index != nullptr) {
    for (size_t k = fixed; k < fields.size(); ++k) {
      if (fields[k].repeated()) return false;
      if (exact || !IsConstant(fields[k])) after.push_back(fields[k]);
    }
  }
  std::vector<OrderTerm> rest = Rest();
  const bool pk_last =
      !rest.empty() && SameField(rest.back().field, table_.primary_key);
  if (pk_last) rest.pop_back();
  if ((exact || pk_last) ? after.size() != rest.size()
                         : after.size() < rest.size()) {
    return false;
  }
  for (size_t k = 0; k < rest.size(); ++k) {
    if (!SameField(after[k], rest[k].field)) return false;
  }
  return true;
}

bool Planner::ChooseFixed(Candidate* c, bool exact) const {
  for (size_t f = c->points.size() + 1; f-- > 0;) {
    if (Serves(*c, f, exact)) {
      c->fixed = f;
      return true;
    }
    if (exact) break;
  }
  return false;
}

absl::Status Planner::OrderError() const {
  std::vector<std::string> fields;
  for (const Constraint& c : constraints_) {
    if (IsConstant(*c.field)) fields.push_back(c.field->Name());
  }
  std::vector<std::string> ordered;
  for (const OrderTerm& t : Rest()) ordered.push_back(t.field.Name());
  fields.insert(fields.end(), ordered.begin(), ordered.end());
  std::string name = absl::StrCat("by_", absl::StrJoin(fields, "_"));
  std::replace(name.begin(), name.end(), '.', '_');
  return absl::InvalidArgumentError(absl::StrCat(
      "order_by: no index of ", table_.name, " serves \"", OrderByText(order_),
      "\" with this filter; an index whose fields are [",
      absl::StrJoin(fields, ", "),
      "] would (the fields the filter holds equal, then the ordered ones): "
      "indexes { name: \"",
      name, "\" fields: [\"", absl::StrJoin(fields, "\", \""), "\"] }"));
}

// A prefix of keys the ranges start with, as the cross product of the
// fixed values is built.
struct Partial {
  std::string key;
  size_t fixed = 0;
  std::vector<std::string> text;
};

std::optional<std::string> After(const std::string& key, bool raw) {
  if (raw) return key + '\0';
  return PrefixSuccessor(key);
}

// `lookup`: the partial key is a whole primary key. `text`: whether the range
// says what it holds (only a union's plan describes its ranges).
KeyRange RangeOf(const Partial& p, const Interval* i, bool raw, bool lookup,
                 bool text) {
  KeyRange r;
  r.start = p.key;
  r.fixed = p.fixed;
  r.end = lookup ? After(p.key, true) : PrefixSuccessor(p.key);
  if (text) {
    r.text = absl::StrJoin(p.text, ", ");
    if (i != nullptr) {
      absl::StrAppend(&r.text, p.text.empty() ? "" : ", ", i->Text());
    }
  }
  if (i == nullptr) return r;
  if (i->lo_mode == Interval::Lo::kAt) r.start = p.key + i->lo;
  if (i->lo_mode == Interval::Lo::kAfter) {
    std::optional<std::string> after = After(p.key + i->lo, raw);
    r.start = after.value_or(p.key + i->lo);
    if (!after) r.end = r.start;  // nothing is greater
  }
  switch (i->hi_mode) {
    case Interval::Hi::kNone:
      break;
    case Interval::Hi::kBefore:
      r.end = p.key + i->hi;
      break;
    case Interval::Hi::kThrough:
      r.end = After(p.key + i->hi, raw);
      break;
    case Interval::Hi::kPrefix:
      r.end = PrefixSuccessor(p.key + i->hi);
      break;
  }
  return r;
}

void Planner::BuildRanges(const Candidate& c, Plan* plan) const {
  const bool raw = c.index == nullptr;
  absl::InlinedVector<Partial, 1> partials(1);
  for (size_t k = 0; k < c.points.size(); ++k) {
    const Constraint& set = *c.points[k];
    if (set.points.size() == 1) {  // each partial key gets the one value
      const Value& v = *set.points[0];
      for (Partial& p : partials) {
        AppendKeyBytes(v, set.field->kind, raw, &p.key);
        if (k < c.fixed) p.fixed = p.key.size();
        if (branch_) {
          p.text.push_back(
              BoundPredicate{*set.field, Op::kEq, v}.DebugString());
        }
      }
      continue;
    }
    std::vector<std::pair<std::string, std::string>> values;  // bytes, text
    for (const Value* v : set.points) {
      values.emplace_back(
          KeyBytes(*v, set.field->kind, raw),
          branch_ ? BoundPredicate{*set.field, Op::kEq, *v}.DebugString() : "");
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    auto extend = [&](Partial& q, const std::string& bytes,
                      const std::string& text) {
      q.key += bytes;
      if (k < c.fixed) q.fixed = q.key.size();
      if (branch_) q.text.push_back(text);
    };
    if (values.size() == 1) {  // the set's values were all the same
      for (Partial& p : partials) extend(p, values[0].first, values[0].second);
      continue;
    }
    absl::InlinedVector<Partial, 1> next;
    next.reserve(partials.size() * values.size());
    for (const Partial& p : partials) {
      for (const auto& [bytes, text] : values) {
        next.push_back(p);
        extend(next.back(), bytes, text);
      }
    }
    partials = std::move(next);
  }
  for (const Partial& p : partials) {
    absl::InlinedVector<const Interval*, 4> intervals = {nullptr};
    if (c.interval != nullptr) {
      intervals.clear();
      for (const Interval& i : c.interval->intervals) intervals.push_back(&i);
    }
    for (const Interval* i : intervals) {
      KeyRange r = RangeOf(p, i, raw, raw && !c.points.empty(), branch_);
      r.index = c.index;
      if (r.end && r.start >= *r.end) continue;  // empty
      plan->ranges.push_back(std::move(r));
    }
  }
  std::sort(
      plan->ranges.begin(), plan->ranges.end(),
      [](const KeyRange& a, const KeyRange& b) { return a.start < b.start; });
}

// Appends `served` to what Plan::consumed says so far, without its closing
// parenthesis: " (a", then ", b"; an OR in parentheses.
void AppendConsumed(const Expr& served, std::string* text) {
  if (text->empty()) {
    text->reserve(96);
    text->append(" (");
  } else {
    text->append(", ");
  }
  const bool group = served.kind == Expr::Kind::kOr;
  if (group) text->push_back('(');
  served.AppendDebugString(text);
  if (group) text->push_back(')');
}

void Planner::Build(const Candidate& c, Plan* plan) const {
  plan->index = c.index;
  if (c.index != nullptr) {
    plan->kind = Plan::Kind::kIndexScan;
  } else if (!c.points.empty()) {
    plan->kind = Plan::Kind::kPrimaryKeyLookup;
  } else {
    plan->kind = c.interval != nullptr ? Plan::Kind::kPrimaryKeyRange
                                       : Plan::Kind::kFullScan;
  }
  absl::InlinedVector<bool, 8> used(conjuncts_.size());
  absl::InlinedVector<const Constraint*, 4> served = c.points;
  if (c.interval != nullptr) served.push_back(c.interval);
  for (const Constraint* k : served) {
    for (size_t i : k->conjuncts) {
      used[i] = true;
      AppendConsumed(conjuncts_[i], &plan->consumed);
    }
  }
  if (!plan->consumed.empty()) plan->consumed.push_back(')');
  std::vector<Expr> rest;  // allocated only when some conjunct is left
  for (size_t i = 0; i < conjuncts_.size(); ++i) {
    if (!used[i]) rest.push_back(conjuncts_[i]);
  }
  plan->residual = Expr::And(std::move(rest));
  if (c.index != nullptr) {
    plan->order.assign(c.index->fields.begin() + c.fixed,
                       c.index->fields.end());
  }
  std::vector<OrderTerm> rest_order = Rest();
  plan->backward = !rest_order.empty() && rest_order.front().descending;
  BuildRanges(c, plan);
}

absl::Status Planner::Best(Plan* plan) {
  std::vector<OrderTerm> rest = Rest();
  for (const OrderTerm& t : rest) {
    if (t.descending != rest.front().descending) {
      return absl::InvalidArgumentError(absl::StrCat(
          "order_by: \"", OrderByText(order_),
          "\" mixes asc and desc on fields the filter does not hold equal; "
          "an index is read in one direction"));
    }
  }
  std::optional<Candidate> best;
  absl::InlinedVector<Candidate, 8> candidates = Candidates();
  for (Candidate& c : candidates) {
    if (!c.usable || !ChooseFixed(&c, /*exact=*/false)) continue;
    const bool beats =
        !best || c.score() > best->score() ||
        // An index beats a primary-key range of the same score; with no
        // constraint at all, primary-key order (a full scan) is first.
        (best->index == nullptr && best->score() > 0 &&
         c.score() == best->score());
    if (beats) best = c;
  }
  if (!best) return OrderError();
  Build(*best, plan);
  chosen_ = best;
  return absl::OkStatus();
}

std::optional<PlanChoice> Planner::Chosen() const {
  if (constraints_.size() > UINT8_MAX) return std::nullopt;
  PlanChoice choice;
  choice.index = chosen_->index;
  for (const Constraint* c : chosen_->points) {
    choice.points.push_back(static_cast<uint8_t>(c - constraints_.data()));
  }
  if (chosen_->interval != nullptr) {
    choice.interval = static_cast<int>(chosen_->interval - constraints_.data());
  }
  choice.fixed = chosen_->fixed;
  choice.conditions = constraints_.size();
  return choice;
}

bool Planner::Replay(const PlanChoice& choice, Plan* plan) const {
  if (choice.conditions != constraints_.size()) return false;
  absl::Span<const FieldRef> fields = FieldsOf(choice.index);
  if (choice.points.size() > fields.size()) return false;
  Candidate c;
  c.index = choice.index;
  for (size_t k = 0; k < choice.points.size(); ++k) {
    const Constraint& p = constraints_[choice.points[k]];
    if (!p.is_points() || !SameField(*p.field, fields[k])) return false;
    c.points.push_back(&p);
  }
  if (choice.interval >= 0) {
    const Constraint& i = constraints_[choice.interval];
    if (i.is_points() || choice.points.size() == fields.size() ||
        !SameField(*i.field, fields[choice.points.size()])) {
      return false;
    }
    c.interval = &i;
  }
  c.fixed = choice.fixed;
  Build(c, plan);
  return true;
}

std::optional<Plan> Planner::Branch() {
  branch_ = true;
  std::optional<Candidate> best;
  absl::InlinedVector<Candidate, 8> candidates = Candidates();
  for (Candidate& c : candidates) {
    if (!c.usable || c.score() == 0 || !ChooseFixed(&c, /*exact=*/true)) {
      continue;
    }
    if (!best || c.score() > best->score()) best = c;
  }
  if (!best) return std::nullopt;
  std::optional<Plan> plan(std::in_place);
  Build(*best, &*plan);
  return plan;
}

// The conjuncts of a condition: an AND's children, else the one condition.
std::vector<Expr> Conjuncts(const Expr& where) {
  if (where.kind == Expr::Kind::kTrue) return {};
  if (where.kind == Expr::Kind::kAnd) return where.children;
  return {where};
}

// A filter that is an OR of branches each served by an index, in the same
// order: every branch's ranges, merged. nullopt when a branch cannot be.
std::optional<Plan> UnionOf(const TableSchema& table, const Expr& any,
                            const std::vector<OrderTerm>& order,
                            const std::vector<const IndexSchema*>& skip) {
  Plan all;
  all.kind = Plan::Kind::kUnion;
  for (const Expr& branch : any.children) {
    const std::vector<Expr> conjuncts = Conjuncts(branch);
    Planner planner(table, conjuncts, order, skip);
    std::optional<Plan> plan = planner.Branch();
    if (!plan) return std::nullopt;
    all.order = plan->order;
    all.backward = plan->backward;
    for (KeyRange& r : plan->ranges) all.ranges.push_back(std::move(r));
  }
  all.residual = any;  // the branches' residuals, and no record twice
  return all;
}

// The best plan of `conjuncts` without the indexes in `skip`, into `plan`
// (a default one), and into `choice` (if not null) what was chosen, unless
// a union was weighed.
absl::Status PlanWithout(const TableSchema& table,
                         const std::vector<Expr>& conjuncts,
                         const std::vector<OrderTerm>& order,
                         const std::vector<const IndexSchema*>& skip,
                         Plan* plan,
                         std::optional<PlanChoice>* choice = nullptr) {
  Planner planner(table, conjuncts, order, skip);
  LMDBAPI_RETURN_IF_ERROR(planner.Best(plan));
  if (plan->consumed.empty() && conjuncts.size() == 1 &&
      conjuncts[0].kind == Expr::Kind::kOr) {
    std::optional<Plan> any = UnionOf(table, conjuncts[0], order, skip);
    if (any) *plan = *std::move(any);
  } else if (choice != nullptr) {
    *choice = planner.Chosen();
  }
  return absl::OkStatus();
}

// The first index `plan` reads that `readiness` says it may not, and why.
const IndexSchema* NotReady(const Plan& plan, const IndexReadiness& readiness,
                            std::string* why) {
  if (!readiness) return nullptr;
  for (const KeyRange& r : plan.ranges) {
    if (r.index == nullptr) continue;
    *why = readiness(*r.index);
    if (!why->empty()) return r.index;
  }
  if (plan.index == nullptr) return nullptr;
  *why = readiness(*plan.index);
  return why->empty() ? nullptr : plan.index;
}

// The best plan among the indexes `readiness` allows; each better index it
// may not use is named in plan.not_used. Into `plan`, a default one.
absl::Status PlanReady(const TableSchema& table,
                       const std::vector<Expr>& conjuncts,
                       const std::vector<OrderTerm>& order,
                       const IndexReadiness& readiness, Plan* plan) {
  std::vector<const IndexSchema*> skip;
  std::vector<std::string> not_used;
  for (;;) {
    if (!skip.empty()) *plan = Plan();  // again, without one more index
    absl::Status planned = PlanWithout(table, conjuncts, order, skip, plan);
    if (!planned.ok() && !skip.empty()) {  // only a skipped index serves it
      return absl::FailedPreconditionError(
          absl::StrCat("order_by: \"", OrderByText(order), "\" needs index '",
                       skip.back()->name, "' of ", table.name,
                       ", which is not ready (", readiness(*skip.back()),
                       "); retry once it is built, or order by other fields"));
    }
    LMDBAPI_RETURN_IF_ERROR(planned);
    std::string why;
    const IndexSchema* blocked = NotReady(*plan, readiness, &why);
    if (blocked == nullptr) {
      plan->not_used = std::move(not_used);
      return absl::OkStatus();
    }
    skip.push_back(blocked);
    not_used.push_back(
        absl::StrCat("index ", blocked->name, " not used: ", why));
  }
}

// A query's condition as a conjunction (its typed predicates, then its
// filter's conjuncts) and its order: what the planner reads.
struct Condition {
  std::vector<Expr> conjuncts;
  std::vector<OrderTerm> order;
};

// `bound`: query.filter already bound (FilterTemplate::Bind), else parsed.
absl::Status ConditionOf(const TableSchema& table, const Query& query,
                         Condition* condition,
                         std::optional<Expr> bound = std::nullopt) {
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<BoundPredicate> typed,
                           BindPredicates(table, query.predicates));
  Expr filter;
  if (bound.has_value()) {
    filter = *std::move(bound);
  } else {
    LMDBAPI_ASSIGN_OR_RETURN(filter, ParseFilter(table, query.filter));
  }
  LMDBAPI_ASSIGN_OR_RETURN(condition->order,
                           ParseOrderBy(table, query.order_by));
  std::vector<Expr>& conjuncts = condition->conjuncts;
  conjuncts.reserve(typed.size() + (filter.kind == Expr::Kind::kAnd
                                        ? filter.children.size()
                                        : 1));
  for (BoundPredicate& p : typed) conjuncts.push_back(Expr::Of(std::move(p)));
  if (filter.kind == Expr::Kind::kAnd) {
    for (Expr& e : filter.children) conjuncts.push_back(std::move(e));
  } else if (filter.kind != Expr::Kind::kTrue) {
    conjuncts.push_back(std::move(filter));
  }
  return absl::OkStatus();
}

// What every plan ends with: the whole condition and the order asked.
void Finish(Condition condition, Plan* plan) {
  plan->where = Expr::And(std::move(condition.conjuncts));
  plan->order_by = OrderByText(condition.order);
}

}  // namespace

absl::Status PlanQuery(const TableSchema& table, const Query& query,
                       const IndexReadiness& readiness, Plan* plan) {
  Condition condition;
  LMDBAPI_RETURN_IF_ERROR(ConditionOf(table, query, &condition));
  LMDBAPI_RETURN_IF_ERROR(
      PlanReady(table, condition.conjuncts, condition.order, readiness, plan));
  Finish(std::move(condition), plan);
  return absl::OkStatus();
}

absl::Status PlanQuery(const TableSchema& table, const Query& query, Plan* plan,
                       std::optional<PlanChoice>* choice) {
  Condition condition;
  LMDBAPI_RETURN_IF_ERROR(ConditionOf(table, query, &condition));
  LMDBAPI_RETURN_IF_ERROR(PlanWithout(table, condition.conjuncts,
                                      condition.order, {}, plan, choice));
  Finish(std::move(condition), plan);
  return absl::OkStatus();
}

absl::Status ReplanQuery(const TableSchema& table, const Query& query,
                         const PlanChoice& choice, Plan* plan) {
  return ReplanQuery(table, query, std::nullopt, choice, plan);
}

absl::Status ReplanQuery(const TableSchema& table, const Query& query,
                         std::optional<Expr> filter, const PlanChoice& choice,
                         Plan* plan) {
  Condition condition;
  LMDBAPI_RETURN_IF_ERROR(
      ConditionOf(table, query, &condition, std::move(filter)));
  const std::vector<const IndexSchema*> none;
  Planner planner(table, condition.conjuncts, condition.order, none);
  if (!planner.Replay(choice, plan)) {
    LMDBAPI_RETURN_IF_ERROR(
        PlanWithout(table, condition.conjuncts, condition.order, none, plan));
  }
  Finish(std::move(condition), plan);
  return absl::OkStatus();
}

absl::StatusOr<Plan> PlanQuery(const TableSchema& table, const Query& query,
                               const IndexReadiness& readiness) {
  Plan plan;
  LMDBAPI_RETURN_IF_ERROR(PlanQuery(table, query, readiness, &plan));
  return plan;
}

}  // namespace lmdbapi::storage
