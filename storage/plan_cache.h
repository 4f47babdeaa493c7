// The plans of the queries a table was asked recently, shared by the calls
// that ask them again. Making a plan costs about a fifth of what lmdbapi
// executes for a 10-record Filter (bench/instructions --top: binding the
// predicates, parsing the filter and order_by, choosing the ranges,
// describing them, the page tokens' fingerprint), and a service asks a few
// query shapes over and over (and each page's next page is the same query).
//
//   absl::StatusOr<std::shared_ptr<const PreparedPlan>> plan =
//       cache.Prepare(schema, query);
//
// A query of a shape the cache knows (the same typed fields, operators and
// kinds of value, the same filter but for its values, the same order_by)
// but with values it has not seen is planned without choosing the index
// again (ReplanQuery), and its filter's values are bound into the
// expression kept for that shape without parsing the text
// (storage/filter_template.h): a service looking records up by a
// customer's id asks a new query on most calls. Such a plan is kept while
// the cache has room; a full cache does not forget a plan for it, since the
// next query of that shape is as cheap to plan.
//
// A plan depends on the query and on which indexes the planner may use:
// the caller keeps and finds plans only while every index is ready
// (Table::PlanOf), so a plan made without an index that was being built is
// never reused once it is ready, nor one that uses an index being rebuilt.
#ifndef LMDBAPI_STORAGE_PLAN_CACHE_H_
#define LMDBAPI_STORAGE_PLAN_CACHE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/filter_template.h"
#include "storage/query.h"
#include "storage/schema.h"
#include "storage/wire_filter.h"

namespace lmdbapi::storage {

// A plan with what each call of it needs besides.
struct PreparedPlan {
  Plan plan;
  std::string description;             // plan.Describe()
  std::optional<WireFilter> residual;  // plan.residual on stored bytes
  // What the planner chose: how to plan the same shape with other values.
  std::optional<PlanChoice> choice;
  // The filter's expression, to bind the same shape's other values into
  // (null: no filter, or one whose values cannot be told apart).
  std::shared_ptr<const FilterTemplate> filter;

  static std::shared_ptr<const PreparedPlan> Of(
      Plan plan, std::optional<PlanChoice> choice = std::nullopt,
      std::shared_ptr<const FilterTemplate> filter = nullptr);
  // Fills the rest from `plan`, already made: the planner fills a new
  // PreparedPlan's in place, since a Plan is costly to move (~450
  // instructions a move and the moved-from plan's destruction).
  void Complete(std::optional<PlanChoice> choice,
                std::shared_ptr<const FilterTemplate> filter = nullptr);
  // plan.Fingerprint(table), made by the first call that seals or opens a
  // page token (~3,600 instructions: a page that is the last needs none).
  uint64_t Fingerprint(const TableSchema& table) const;

 private:
  mutable absl::once_flag fingerprint_once_;
  mutable uint64_t fingerprint_ = 0;
};

class PlanCache {
 public:
  // Plans kept at most; a full cache forgets one to keep the next: the
  // first, from where it last stopped, that no call found since it last
  // looked (a clock, "second chance"), so that the plans a service asks
  // over and over stay while one-off queries come and go. A plan takes
  // about a kilobyte.
  static constexpr size_t kCapacity = 1024;

  // What identifies `query`'s plan: its predicates, filter and order_by
  // (not its page: page_size and page_token).
  static std::string KeyOf(const Query& query);
  // What identifies its shape: the same, with each predicate's value
  // reduced to its kind and the filter's to theirs (FilterText's shape).
  // Never equal to a KeyOf; without a filter, the start of KeyOf (so that
  // a typed query's miss builds one key, not two).
  static std::string ShapeOf(const Query& query);

  // The plan kept for `query`, else the one PlanQuery(table, query) makes
  // with every index (then kept). The cache must only ever see one table.
  absl::StatusOr<std::shared_ptr<const PreparedPlan>> Prepare(
      const TableSchema& table, const Query& query);

  // The plan kept under `key`, or null; a plan found is marked used.
  std::shared_ptr<const PreparedPlan> Find(absl::string_view key) const;
  void Keep(std::string key, std::shared_ptr<const PreparedPlan> plan);
  // Keep, unless that would forget another plan.
  void KeepIfRoom(std::string key, std::shared_ptr<const PreparedPlan> plan);

 private:
  struct Slot {
    std::string key;
    std::shared_ptr<const PreparedPlan> plan;
    // Found since the clock last passed: set under the reader lock.
    mutable std::atomic<bool> used{false};
  };
  // ShapeOf(query), its filter read as `text` (nullopt: it does not lex).
  static std::string ShapeOf(const Query& query,
                             const std::optional<FilterText>& text);
  // The plan of `query` with `same_shape`'s choice, its filter's values
  // bound into the shape's template (its text parsed when they cannot be:
  // the error names the value).
  static absl::StatusOr<std::shared_ptr<const PreparedPlan>> Replan(
      const TableSchema& table, const Query& query,
      const PreparedPlan& same_shape, const std::optional<FilterText>& text);

  // The slot to reuse in a full cache, its plan forgotten.
  Slot* Forget() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void KeepLocked(std::string key, std::shared_ptr<const PreparedPlan> plan)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);  // never moved: keyed below
  absl::flat_hash_map<absl::string_view, Slot*> by_key_
      ABSL_GUARDED_BY(mu_);               // Slot::key → its slot
  size_t hand_ ABSL_GUARDED_BY(mu_) = 0;  // the clock: the next to look at
  // Whether slots_ reached kCapacity (it never shrinks): KeepIfRoom's answer
  // without taking the lock.
  std::atomic<bool> full_{false};
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_PLAN_CACHE_H_
