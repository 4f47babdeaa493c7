#include "storage/plan_cache.h"

#include <cstring>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/status_macros.h"

namespace lmdbapi::storage {
namespace {

// Appends `n`'s bytes.
template <typename T>
void AppendBytes(T n, std::string* key) {
  char bytes[sizeof n];
  std::memcpy(bytes, &n, sizeof n);
  key->append(bytes, sizeof n);
}

// Appends `text` with its length first, so that no two sequences of texts
// give the same key.
void AppendText(absl::string_view text, std::string* key) {
  AppendBytes(text.size(), key);
  key->append(text.data(), text.size());
}

void AppendValue(const Value& value, std::string* key) {
  key->push_back(static_cast<char>(value.index()));
  std::visit(
      [key](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          AppendText(v, key);
        } else if constexpr (std::is_same_v<T, TimestampValue>) {
          AppendBytes(v.seconds, key);
          AppendBytes(v.nanos, key);
        } else {  // a double's bits: -0.0 and each NaN kept apart, as given
          AppendBytes(v, key);
        }
      },
      value);
}

// Appends what identifies `query`'s shape, its filter written as `filter`
// (`marker`: 't' for a filter's shape, 'f' for its text): the fields,
// operators and kinds of its predicates, their count first, so that no
// shape is the start of another's.
void AppendShape(const Query& query, char marker, absl::string_view filter,
                 std::string* key) {
  key->push_back(marker);
  AppendText(filter, key);
  AppendText(query.order_by, key);
  AppendBytes(query.predicates.size(), key);
  for (const Predicate& p : query.predicates) {
    AppendText(p.field, key);
    key->push_back(static_cast<char>(p.op));
    key->push_back(static_cast<char>(p.value.index()));
  }
}

// `query`'s key: its shape with its filter's text (`*shape_length` bytes),
// then its values. No key is a shape: each is one shape and more bytes.
std::string KeyWithValues(const Query& query, size_t* shape_length) {
  std::string key;
  key.reserve(48 + query.filter.size() + query.order_by.size() +
              32 * query.predicates.size());
  AppendShape(query, 'f', query.filter, &key);
  *shape_length = key.size();
  key.push_back('v');
  for (const Predicate& p : query.predicates) AppendValue(p.value, &key);
  return key;
}

}  // namespace

std::shared_ptr<const PreparedPlan> PreparedPlan::Of(
    Plan plan, std::optional<PlanChoice> choice,
    std::shared_ptr<const FilterTemplate> filter) {
  auto prepared = std::make_shared<PreparedPlan>();
  prepared->plan = std::move(plan);
  prepared->Complete(std::move(choice), std::move(filter));
  return prepared;
}

void PreparedPlan::Complete(std::optional<PlanChoice> choice,
                            std::shared_ptr<const FilterTemplate> filter) {
  description = plan.Describe();
  residual = WireFilter::Compile(plan.residual);
  this->choice = std::move(choice);
  this->filter = std::move(filter);
}

uint64_t PreparedPlan::Fingerprint(const TableSchema& table) const {
  absl::call_once(fingerprint_once_,
                  [&] { fingerprint_ = plan.Fingerprint(table); });
  return fingerprint_;
}

std::string PlanCache::KeyOf(const Query& query) {
  size_t shape_length;
  return KeyWithValues(query, &shape_length);
}

std::string PlanCache::ShapeOf(const Query& query) {
  if (query.filter.empty()) return ShapeOf(query, std::nullopt);
  return ShapeOf(query, FilterText::Read(query.filter));
}

std::string PlanCache::ShapeOf(const Query& query,
                               const std::optional<FilterText>& text) {
  std::string shape;
  if (text.has_value()) {
    AppendShape(query, 't', text->shape, &shape);
  } else {  // no filter, or one that does not lex: its text
    AppendShape(query, 'f', query.filter, &shape);
  }
  return shape;
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanCache::Replan(
    const TableSchema& table, const Query& query,
    const PreparedPlan& same_shape, const std::optional<FilterText>& text) {
  std::optional<Expr> filter;  // nullopt: ReplanQuery parses the text
  if (same_shape.filter != nullptr && text.has_value()) {
    filter = same_shape.filter->Bind(*text);
  }
  auto prepared = std::make_shared<PreparedPlan>();
  LMDBAPI_RETURN_IF_ERROR(ReplanQuery(table, query, std::move(filter),
                                      *same_shape.choice, &prepared->plan));
  prepared->Complete(same_shape.choice);
  return prepared;
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanCache::Prepare(
    const TableSchema& table, const Query& query) {
  size_t shape_length;
  std::string key = KeyWithValues(query, &shape_length);
  std::shared_ptr<const PreparedPlan> prepared = Find(key);
  if (prepared != nullptr) return prepared;
  // Without a filter, the shape is where the key starts.
  std::optional<FilterText> text;
  std::string filter_shape;
  absl::string_view shape(key.data(), shape_length);
  if (!query.filter.empty()) {
    text = FilterText::Read(query.filter);
    filter_shape = ShapeOf(query, text);
    shape = filter_shape;
  }
  std::shared_ptr<const PreparedPlan> same_shape = Find(shape);
  if (same_shape != nullptr && same_shape->choice.has_value()) {
    LMDBAPI_ASSIGN_OR_RETURN(prepared, Replan(table, query, *same_shape, text));
    KeepIfRoom(std::move(key), prepared);
    return prepared;
  }
  auto planned = std::make_shared<PreparedPlan>();
  std::optional<PlanChoice> choice;
  LMDBAPI_RETURN_IF_ERROR(PlanQuery(table, query, &planned->plan, &choice));
  const bool has_shape = choice.has_value();
  std::shared_ptr<const FilterTemplate> filter;
  if (has_shape && text.has_value()) {
    filter = FilterTemplate::Of(table, query.filter, *text);
  }
  planned->Complete(std::move(choice), std::move(filter));
  std::string kept_shape(shape);  // before `key`, which it may view, moves
  Keep(std::move(key), planned);
  // The shape last: a full cache making room for the key cannot forget it.
  if (has_shape) Keep(std::move(kept_shape), planned);
  return planned;
}

std::shared_ptr<const PreparedPlan> PlanCache::Find(
    absl::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  const Slot& slot = *it->second;
  // Only the first find since the clock passed writes the shared line.
  if (!slot.used.load(std::memory_order_relaxed)) {
    slot.used.store(true, std::memory_order_relaxed);
  }
  return slot.plan;
}

void PlanCache::Keep(std::string key,
                     std::shared_ptr<const PreparedPlan> plan) {
  absl::MutexLock lock(&mu_);
  KeepLocked(std::move(key), std::move(plan));
}

void PlanCache::KeepIfRoom(std::string key,
                           std::shared_ptr<const PreparedPlan> plan) {
  if (full_.load(std::memory_order_relaxed)) return;
  absl::MutexLock lock(&mu_);
  if (slots_.size() < kCapacity) KeepLocked(std::move(key), std::move(plan));
}

void PlanCache::KeepLocked(std::string key,
                           std::shared_ptr<const PreparedPlan> plan) {
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {  // two calls planned it at once
    it->second->plan = std::move(plan);
    return;
  }
  Slot* slot = slots_.size() < kCapacity ? &slots_.emplace_back() : Forget();
  if (slots_.size() == kCapacity) full_.store(true, std::memory_order_relaxed);
  slot->key = std::move(key);
  slot->plan = std::move(plan);
  slot->used.store(false, std::memory_order_relaxed);
  by_key_.emplace(slot->key, slot);
}

PlanCache::Slot* PlanCache::Forget() {
  // Every slot the hand passes loses its mark, so a second round finds one.
  for (;;) {
    Slot& slot = slots_[hand_];
    hand_ = (hand_ + 1) % slots_.size();
    if (!slot.used.exchange(false, std::memory_order_relaxed)) {
      by_key_.erase(slot.key);
      return &slot;
    }
  }
}

}  // namespace lmdbapi::storage
