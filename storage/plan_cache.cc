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

// The key of `query`, each value whole (`values`) or only its kind (the
// filter's shape then `filter_shape`, when it has one); the first byte
// tells the two apart.
std::string KeyWith(const Query& query, bool values,
                    const std::string* filter_shape = nullptr) {
  std::string key;
  key.reserve(33 + query.filter.size() + query.order_by.size() +
              24 * query.predicates.size());
  key.push_back(values ? 'v' : 's');
  key.push_back(filter_shape != nullptr ? 't' : 'f');
  AppendText(filter_shape != nullptr ? *filter_shape : query.filter, &key);
  AppendText(query.order_by, &key);
  for (const Predicate& p : query.predicates) {
    AppendText(p.field, &key);
    key.push_back(static_cast<char>(p.op));
    if (values) {
      AppendValue(p.value, &key);
    } else {
      key.push_back(static_cast<char>(p.value.index()));
    }
  }
  return key;
}

}  // namespace

std::shared_ptr<const PreparedPlan> PreparedPlan::Of(
    Plan plan, std::optional<PlanChoice> choice,
    std::shared_ptr<const FilterTemplate> filter) {
  auto prepared = std::make_shared<PreparedPlan>();
  prepared->description = plan.Describe();
  prepared->residual = WireFilter::Compile(plan.residual);
  prepared->plan = std::move(plan);
  prepared->choice = std::move(choice);
  prepared->filter = std::move(filter);
  return prepared;
}

uint64_t PreparedPlan::Fingerprint(const TableSchema& table) const {
  absl::call_once(fingerprint_once_,
                  [&] { fingerprint_ = plan.Fingerprint(table); });
  return fingerprint_;
}

std::string PlanCache::KeyOf(const Query& query) {
  return KeyWith(query, /*values=*/true);
}

std::string PlanCache::ShapeOf(const Query& query) {
  if (query.filter.empty()) return KeyWith(query, /*values=*/false);
  return ShapeOf(query, FilterText::Read(query.filter));
}

std::string PlanCache::ShapeOf(const Query& query,
                               const std::optional<FilterText>& text) {
  return KeyWith(query, /*values=*/false,
                 text.has_value() ? &text->shape : nullptr);
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanCache::Replan(
    const TableSchema& table, const Query& query,
    const PreparedPlan& same_shape, const std::optional<FilterText>& text) {
  std::optional<Expr> filter;  // nullopt: ReplanQuery parses the text
  if (same_shape.filter != nullptr && text.has_value()) {
    filter = same_shape.filter->Bind(*text);
  }
  Plan plan;
  LMDBAPI_RETURN_IF_ERROR(
      ReplanQuery(table, query, std::move(filter), *same_shape.choice, &plan));
  return PreparedPlan::Of(std::move(plan), same_shape.choice);
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanCache::Prepare(
    const TableSchema& table, const Query& query) {
  std::string key = KeyOf(query);
  std::shared_ptr<const PreparedPlan> prepared = Find(key);
  if (prepared != nullptr) return prepared;
  std::optional<FilterText> text;
  if (!query.filter.empty()) text = FilterText::Read(query.filter);
  std::string shape = ShapeOf(query, text);
  std::shared_ptr<const PreparedPlan> same_shape = Find(shape);
  if (same_shape != nullptr && same_shape->choice.has_value()) {
    LMDBAPI_ASSIGN_OR_RETURN(prepared, Replan(table, query, *same_shape, text));
    KeepIfRoom(std::move(key), prepared);
    return prepared;
  }
  Plan plan;
  std::optional<PlanChoice> choice;
  LMDBAPI_RETURN_IF_ERROR(PlanQuery(table, query, &plan, &choice));
  const bool has_shape = choice.has_value();
  std::shared_ptr<const FilterTemplate> filter;
  if (has_shape && text.has_value()) {
    filter = FilterTemplate::Of(table, query.filter, *text);
  }
  prepared =
      PreparedPlan::Of(std::move(plan), std::move(choice), std::move(filter));
  Keep(std::move(key), prepared);
  if (has_shape) Keep(std::move(shape), prepared);
  return prepared;
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
