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

}  // namespace

std::shared_ptr<const PreparedPlan> PreparedPlan::Of(Plan plan) {
  auto prepared = std::make_shared<PreparedPlan>();
  prepared->description = plan.Describe();
  prepared->residual = WireFilter::Compile(plan.residual);
  prepared->plan = std::move(plan);
  return prepared;
}

uint64_t PreparedPlan::Fingerprint(const TableSchema& table) const {
  absl::call_once(fingerprint_once_,
                  [&] { fingerprint_ = plan.Fingerprint(table); });
  return fingerprint_;
}

std::string PlanCache::KeyOf(const Query& query) {
  std::string key;
  key.reserve(32 + query.filter.size() + query.order_by.size() +
              24 * query.predicates.size());
  AppendText(query.filter, &key);
  AppendText(query.order_by, &key);
  for (const Predicate& p : query.predicates) {
    AppendText(p.field, &key);
    key.push_back(static_cast<char>(p.op));
    AppendValue(p.value, &key);
  }
  return key;
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> PlanCache::Prepare(
    const TableSchema& table, const Query& query) {
  std::string key = KeyOf(query);
  std::shared_ptr<const PreparedPlan> prepared = Find(key);
  if (prepared != nullptr) return prepared;
  Plan plan;
  LMDBAPI_RETURN_IF_ERROR(PlanQuery(table, query, nullptr, &plan));
  prepared = PreparedPlan::Of(std::move(plan));
  Keep(std::move(key), prepared);
  return prepared;
}

std::shared_ptr<const PreparedPlan> PlanCache::Find(
    absl::string_view key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = plans_.find(key);
  return it == plans_.end() ? nullptr : it->second;
}

void PlanCache::Keep(std::string key,
                     std::shared_ptr<const PreparedPlan> plan) {
  absl::MutexLock lock(&mu_);
  if (plans_.size() >= kCapacity) plans_.erase(plans_.begin());
  plans_.insert_or_assign(std::move(key), std::move(plan));
}

}  // namespace lmdbapi::storage
