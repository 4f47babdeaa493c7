// Table's queries: Filter (a page of matching records in the plan's order)
// and Count, both reading the plan's ranges through a MergedScan.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/index_builder.h"
#include "storage/lmdb.h"
#include "storage/merged_scan.h"
#include "storage/record_version.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/wire_filter.h"

namespace lmdbapi::storage {

using google::protobuf::Message;

// One Filter or Count call: its plan (the result's, which outlives the run),
// read snapshot and scan.
class Table::QueryRun {
 public:
  QueryRun(const Table& table, const PreparedPlan& prepared, MDB_txn* txn)
      : table_(table), prepared_(prepared), plan_(prepared.plan), txn_(txn) {}

  // Opens the scan of the plan's ranges, past the sort key in `page_token`
  // when there is one.
  absl::Status Open(absl::string_view page_token);
  // Up to `page_size` matching records through `take`, and the token of
  // the next page when there are more.
  absl::Status Page(size_t page_size, TakeRecord take, FilterResult* result);
  // How many records match (each read only when the residual needs it).
  absl::StatusOr<uint64_t> Count(size_t* scanned);

 private:
  // The record bytes of the scan's current entry.
  // Read through one cursor: LMDB finds a key on the page the cursor is at
  // without descending from the root, and an index's entries for one value
  // point at records in key order, often on the same page.
  absl::StatusOr<StoredRecord> Record();
  // Whether the current record, `bytes`, matches the residual. It is parsed
  // (into scratch_, `*parsed` then pointing at it) only when its bytes
  // cannot tell.
  absl::StatusOr<bool> Matches(absl::string_view bytes, Message** parsed);

  const Table& table_;
  const PreparedPlan& prepared_;
  const Plan& plan_;  // prepared_.plan
  MDB_txn* const txn_;
  std::optional<MergedScan> scan_;
  std::optional<Cursor> records_;  // opened by the first Record() of an index
  std::unique_ptr<Message> scratch_;
};

absl::Status Table::QueryRun::Open(absl::string_view page_token) {
  absl::InlinedVector<MergedScan::Source, 4> sources;
  sources.reserve(plan_.ranges.size());
  for (const KeyRange& r : plan_.ranges) {
    sources.push_back({&r, table_.DbiOf(r.index)});
  }
  std::optional<std::string> after;
  if (!page_token.empty()) {
    LMDBAPI_ASSIGN_OR_RETURN(
        after,
        DecodePageToken(*table_.secret_, prepared_.Fingerprint(table_.schema_),
                        page_token));
  }
  LMDBAPI_ASSIGN_OR_RETURN(scan_,
                           MergedScan::Open(txn_, sources, plan_.backward,
                                            after ? &*after : nullptr));
  return absl::OkStatus();
}

absl::StatusOr<StoredRecord> Table::QueryRun::Record() {
  if (scan_->range().index == nullptr) return SplitStored(scan_->value());
  if (!records_.has_value()) {
    LMDBAPI_ASSIGN_OR_RETURN(records_, Cursor::Open(txn_, table_.records_));
  }
  LMDBAPI_ASSIGN_OR_RETURN(bool found, records_->Find(scan_->pk()));
  if (!found) {
    return absl::InternalError(
        absl::StrCat("index ", scan_->range().index->name, " of ",
                     table_.name(), " points at '", scan_->pk(),
                     "', which is missing; verify and rebuild the indexes"));
  }
  return SplitStored(records_->value());
}

absl::StatusOr<bool> Table::QueryRun::Matches(absl::string_view bytes,
                                              Message** parsed) {
  *parsed = nullptr;
  if (plan_.residual.kind == Expr::Kind::kTrue) return true;
  if (prepared_.residual.has_value()) {
    std::optional<bool> matches = prepared_.residual->Matches(bytes);
    if (matches.has_value()) return *matches;  // else malformed: parse
  }
  if (scratch_ == nullptr) scratch_.reset(table_.prototype_->New());
  LMDBAPI_RETURN_IF_ERROR(
      table_.ParseRecord(scan_->pk(), bytes, scratch_.get()));
  *parsed = scratch_.get();
  return plan_.residual.Matches(*scratch_);
}

absl::Status Table::QueryRun::Page(size_t page_size, TakeRecord take,
                                   FilterResult* result) {
  size_t returned = 0;
  while (true) {
    if (returned == page_size) {
      // The sort key of the last entry read (copied: the scan's next step
      // may reuse its memory) resumes the next page, if there is one.
      std::string last(returned == 0 ? "" : scan_->sort_key());
      LMDBAPI_ASSIGN_OR_RETURN(bool more, scan_->Next());
      if (more) {
        result->next_page_token = EncodePageToken(
            *table_.secret_, prepared_.Fingerprint(table_.schema_), last);
      }
      return absl::OkStatus();
    }
    LMDBAPI_ASSIGN_OR_RETURN(bool more, scan_->Next());
    if (!more) return absl::OkStatus();
    ++result->scanned;
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, Record());
    Message* parsed = nullptr;
    LMDBAPI_ASSIGN_OR_RETURN(bool matches, Matches(stored.bytes, &parsed));
    if (!matches) continue;
    LMDBAPI_RETURN_IF_ERROR(take(txn_, scan_->pk(), stored, parsed));
    ++returned;
  }
}

absl::StatusOr<uint64_t> Table::QueryRun::Count(size_t* scanned) {
  const bool check = plan_.residual.kind != Expr::Kind::kTrue;
  uint64_t count = 0;
  while (true) {
    LMDBAPI_ASSIGN_OR_RETURN(bool more, scan_->Next());
    if (!more) return count;
    ++*scanned;
    if (!check) {
      ++count;
      continue;
    }
    LMDBAPI_ASSIGN_OR_RETURN(StoredRecord stored, Record());
    Message* parsed = nullptr;
    LMDBAPI_ASSIGN_OR_RETURN(bool matches, Matches(stored.bytes, &parsed));
    if (matches) ++count;
  }
}

MDB_dbi Table::DbiOf(const IndexSchema* index) const {
  for (const Index& i : indexes_) {
    if (i.schema == index) return i.dbi;
  }
  return records_;
}

absl::StatusOr<std::string> Table::Explain(
    const std::vector<Predicate>& predicates) const {
  Query query;
  query.predicates = predicates;
  LMDBAPI_ASSIGN_OR_RETURN(
      Plan plan, PlanQuery(schema_, query, Readiness(ReadyIndexes())));
  return plan.Describe();
}

std::vector<bool> Table::ReadyIndexes() const {
  std::vector<bool> ready;
  for (size_t i = 0; i < indexes_.size(); ++i) {
    if (index_state(i) == IndexState::kReady) continue;
    ready.resize(indexes_.size(), true);
    ready[i] = false;
  }
  return ready;
}

IndexReadiness Table::Readiness(std::vector<bool> ready_before) const {
  if (ready_before.empty() && ReadyIndexes().empty()) {
    return nullptr;  // every index, before and after
  }
  return [this, ready_before = std::move(ready_before)](
             const IndexSchema& index) -> std::string {
    for (size_t i = 0; i < indexes_.size(); ++i) {
      if (indexes_[i].schema != &index) continue;
      const IndexState state = index_state(i);
      if (state == IndexState::kReady && WasReady(ready_before, i)) return "";
      if (state == IndexState::kReady) return "just built";
      if (builder_ != nullptr) return builder_->NotReadyReason(*this, i);
      return IndexStateName(state);
    }
    return "";
  };
}

absl::StatusOr<std::shared_ptr<const PreparedPlan>> Table::PlanOf(
    const Query& query, std::vector<bool> ready_before) const {
  IndexReadiness readiness = Readiness(std::move(ready_before));
  if (readiness == nullptr) return plans_->Prepare(schema_, query);
  Plan plan;  // an index is not ready: a plan of now, not kept
  LMDBAPI_RETURN_IF_ERROR(PlanQuery(schema_, query, readiness, &plan));
  return PreparedPlan::Of(std::move(plan));
}

absl::StatusOr<uint64_t> Table::Count() const {
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  MDB_stat stat;
  int rc = mdb_stat(txn.get(), records_, &stat);
  if (rc != 0) return LmdbStatus(rc, "stat");
  return stat.ms_entries;
}

absl::StatusOr<CountResult> Table::Count(const Query& query) const {
  Query unordered = query;  // the order plays no part in a count
  unordered.order_by.clear();
  std::vector<bool> ready = ReadyIndexes();  // before the snapshot
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  CountResult result;
  LMDBAPI_ASSIGN_OR_RETURN(result.plan, PlanOf(unordered, std::move(ready)));
  const Plan& plan = result.plan->plan;
  result.index_only = plan.residual.kind == Expr::Kind::kTrue;
  if (plan.kind == Plan::Kind::kFullScan && result.index_only) {
    MDB_stat stat;  // the table's size, in the same snapshot
    int rc = mdb_stat(txn.get(), records_, &stat);
    if (rc != 0) return LmdbStatus(rc, "stat");
    result.count = stat.ms_entries;
    return result;
  }
  if (result.index_only && plan.ranges.size() == 1) {  // nothing to merge
    const KeyRange& range = plan.ranges.front();
    LMDBAPI_ASSIGN_OR_RETURN(
        result.count, CountEntries(txn.get(), DbiOf(range.index), range));
    result.scanned = result.count;
    return result;
  }
  QueryRun run(*this, *result.plan, txn.get());
  LMDBAPI_RETURN_IF_ERROR(run.Open(""));
  LMDBAPI_ASSIGN_OR_RETURN(result.count, run.Count(&result.scanned));
  return result;
}

absl::Status Table::FilterPage(const Query& query, TakeRecord take,
                               FilterResult* result) const {
  std::vector<bool> ready = ReadyIndexes();  // before the snapshot
  LMDBAPI_ASSIGN_OR_RETURN(Environment::ReadTxn txn, env_->BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(result->plan, PlanOf(query, std::move(ready)));
  QueryRun run(*this, *result->plan, txn.get());
  LMDBAPI_RETURN_IF_ERROR(run.Open(query.page_token));
  return run.Page(PageSizeOf(query), take, result);
}

size_t Table::PageSizeOf(const Query& query) const {
  return PageSizeFor(query.page_size, options_.default_page_size,
                     options_.max_page_size);
}

absl::StatusOr<FilterResult> Table::Filter(
    const Query& query, absl::FunctionRef<Message*()> add_record) const {
  FilterResult result;
  auto take = [&](MDB_txn* txn, absl::string_view pk,
                  const StoredRecord& stored, Message* parsed) {
    Message* record = add_record();
    if (parsed != nullptr) {
      record->GetReflection()->Swap(parsed, record);
    } else {
      LMDBAPI_RETURN_IF_ERROR(ParseRecord(pk, stored.bytes, record));
    }
    if (!has_version_fields()) return absl::OkStatus();
    LMDBAPI_ASSIGN_OR_RETURN(RecordVersion version, VersionOf(txn, pk, stored));
    SetVersionFields(schema_, version, record);
    return absl::OkStatus();
  };
  LMDBAPI_RETURN_IF_ERROR(FilterPage(query, take, &result));
  return result;
}

absl::Status Table::FilterWire(
    const Query& query,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> add,
    FilterResult* result) const {
  char version_fields[kMaxVersionFieldBytes];
  auto take = [&](MDB_txn* txn, absl::string_view pk,
                  const StoredRecord& stored, Message*) {
    size_t fields = 0;
    if (has_version_fields()) {
      LMDBAPI_ASSIGN_OR_RETURN(RecordVersion version,
                               VersionOf(txn, pk, stored));
      fields = EncodeVersionFields(schema_, version, version_fields);
    }
    add(stored.bytes, absl::string_view(version_fields, fields));
    return absl::OkStatus();
  };
  return FilterPage(query, take, result);
}

}  // namespace lmdbapi::storage
