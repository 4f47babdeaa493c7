#include "server/table/change_feed.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "model/request_access.h"
#include "server/schema.h"
#include "server/table/filter_request.h"

namespace lmdbapi::server {

using google::protobuf::Message;

// FillChange copies storage's change type into the generated Change.Type.
static_assert(static_cast<int>(storage::ChangeType::kInsert) ==
                  model::layout::kChangeInserted &&
              static_cast<int>(storage::ChangeType::kUpdate) ==
                  model::layout::kChangeUpdated &&
              static_cast<int>(storage::ChangeType::kDelete) ==
                  model::layout::kChangeDeleted);

absl::StatusOr<WatchCursor> WatchCursor::Open(storage::Database* db,
                                              const storage::Table& table,
                                              const Message& request) {
  WatchCursor cursor;
  cursor.db_ = db;
  cursor.table_ = &table;
  int64_t start = model::StartRevision(request);
  if (start < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(model::layout::kStartRevision.name, ": ", start,
                     " is not a revision (0: from now)"));
  }
  if (const Message* filter = model::WatchFilter(request); filter != nullptr) {
    LMDBAPI_ASSIGN_OR_RETURN(
        storage::Query query,
        QueryFromRequest(*filter, table.schema().descriptor));
    query.order_by.clear();  // a watch sends changes in revision order
    LMDBAPI_ASSIGN_OR_RETURN(storage::Plan plan,
                             storage::PlanQuery(table.schema(), query));
    cursor.where_ = std::move(plan.where);
    cursor.scratch_ = NewCompiledMessage(table.schema().descriptor);
  }
  LMDBAPI_ASSIGN_OR_RETURN(storage::Environment::ReadTxn txn,
                           db->env().BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t last, db->changes().Last(txn.get()));
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t oldest, db->changes().Oldest(txn.get()));
  cursor.next_ = start == 0 ? last + 1 : static_cast<uint64_t>(start);
  if (cursor.next_ < oldest) {
    return absl::OutOfRangeError(absl::StrCat(
        "start_revision: ", start, " is older than the oldest change kept (",
        oldest, "; the server keeps the newest ", db->changes().retention(),
        "): read the records again and watch from revision ", last + 1));
  }
  return cursor;
}

absl::StatusOr<std::vector<storage::Change>> WatchCursor::Next(size_t limit) {
  LMDBAPI_ASSIGN_OR_RETURN(storage::Environment::ReadTxn txn,
                           db_->env().BeginRead());
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t oldest, db_->changes().Oldest(txn.get()));
  if (next_ < oldest) {
    return absl::OutOfRangeError(absl::StrCat(
        "this watch fell behind: revision ", next_,
        " is no longer kept (the oldest is ", oldest,
        "); read the records again and watch from a newer revision"));
  }
  LMDBAPI_ASSIGN_OR_RETURN(std::vector<storage::Change> read,
                           db_->changes().Read(txn.get(), next_, limit));
  std::vector<storage::Change> matched;
  for (storage::Change& change : read) {
    next_ = change.revision + 1;
    if (change.table != table_->name()) continue;
    if (where_.kind != storage::Expr::Kind::kTrue) {
      if (!scratch_->ParseFromString(change.record)) {
        return absl::DataLossError(absl::StrCat(
            "change ", change.revision, " holds a record that does not parse"));
      }
      if (!where_.Matches(*scratch_)) continue;
    }
    matched.push_back(std::move(change));
  }
  // Read() returns whole revisions, so the last match of each is the last
  // change of its commit this watch sends.
  for (size_t i = 0; i < matched.size(); ++i) {
    matched[i].commit_end = i + 1 == matched.size() ||
                            matched[i + 1].revision != matched[i].revision;
  }
  return matched;
}

void FillChange(const storage::Change& change,
                const storage::TableSchema& table, Message* out) {
  model::SetChange(out, static_cast<int>(change.type),
                   static_cast<int64_t>(change.revision), change.commit_end);
  Message* record = model::MutableChangeRecord(out);
  record->ParseFromString(change.record);
  storage::RecordVersion version;
  version.revision = change.revision;
  storage::SetVersionFields(table, version, record);
}

ChangeFeed::ChangeFeed(storage::Database* db)
    : db_(db), thread_([this] {
        NameThisThread("change-feed");
        Run();
      }) {}

ChangeFeed::~ChangeFeed() { Close(); }

void ChangeFeed::Notify() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    dirty_ = true;
  }
  wake_.notify_one();
}

void ChangeFeed::Add(Stream* stream) {
  std::lock_guard<std::recursive_mutex> lock(streams_mu_);
  if (stopped_) {
    stream->Stop();
    return;
  }
  streams_.insert(stream);
}

void ChangeFeed::Remove(Stream* stream) {
  std::lock_guard<std::recursive_mutex> lock(streams_mu_);
  streams_.erase(stream);
}

void ChangeFeed::Close() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (closed_) return;
    closed_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::recursive_mutex> lock(streams_mu_);
  stopped_ = true;
  std::vector<Stream*> all(streams_.begin(), streams_.end());
  for (Stream* s : all) {
    if (streams_.count(s) != 0) s->Stop();
  }
}

void ChangeFeed::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(wake_mu_);
      wake_.wait(lock, [this] { return dirty_ || closed_; });
      if (closed_) return;
      dirty_ = false;
    }
    std::lock_guard<std::recursive_mutex> lock(streams_mu_);
    std::vector<Stream*> all(streams_.begin(), streams_.end());
    for (Stream* s : all) {
      if (streams_.count(s) != 0) s->Pump();  // not if it left meanwhile
    }
  }
}

}  // namespace lmdbapi::server
