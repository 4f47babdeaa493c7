// One Watch stream: a callback reactor that sends a WatchCursor's changes,
// one write at a time, and waits for the next commit (ChangeFeed) when it
// has sent everything. Templated on the generated change message only; the
// work is in server/table/change_feed.h.
#ifndef LMDBAPI_SERVER_TABLE_WATCHER_H_
#define LMDBAPI_SERVER_TABLE_WATCHER_H_

#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/server_callback.h"
#include "server/table/change_feed.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {

template <typename Change>
class Watcher final : public grpc::ServerWriteReactor<Change>,
                      public ChangeFeed::Stream {
 public:
  // Finishes at once with `cursor`'s error; else follows the feed.
  Watcher(ChangeFeed* feed, const storage::TableSchema* table,
          absl::StatusOr<WatchCursor> cursor)
      : feed_(feed), table_(table) {
    if (!cursor.ok()) {
      done_ = true;
      this->Finish(ToGrpcStatus(cursor.status()));
      return;
    }
    cursor_.emplace(*std::move(cursor));
    registered_ = true;
    feed_->Add(this);
    Pump();
  }

  void Pump() override {
    const Change* next = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_ || writing_) return;
      if (pending_.empty()) {
        absl::StatusOr<std::vector<storage::Change>> changes = cursor_->Next();
        if (!changes.ok()) return FinishLocked(ToGrpcStatus(changes.status()));
        for (const storage::Change& c : *changes) {
          FillChange(c, *table_, &pending_.emplace_back());
        }
      }
      if (pending_.empty()) return;  // until the next commit
      writing_ = true;
      next = &pending_.front();
    }
    this->StartWrite(next);
  }

  void Stop() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("the server is stopping: watch again from revision ",
                     ResumeRevision())));
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      pending_.pop_front();
      if (!ok) {
        FinishLocked(
            grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      }
      if (finish_) {
        this->Finish(*std::move(finish_));
        finish_.reset();
        return;
      }
    }
    Pump();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (registered_) feed_->Remove(this);
    delete this;
  }

 private:
  // The revision after the last change sent or being sent: the change in
  // flight reaches the client before the status, which FinishLocked holds
  // until its write is done. (Counting it as unsent told a client that had
  // read it to watch from it again: a repeat, and a CI flake under ASan.)
  uint64_t ResumeRevision() const {
    const size_t in_flight = writing_ ? 1 : 0;
    if (pending_.size() > in_flight) return pending_[in_flight].revision();
    return cursor_->next_revision();
  }
  // Finishes once; after the write in flight, if any.
  void FinishLocked(grpc::Status status) {
    if (done_) return;
    done_ = true;
    if (writing_) {
      finish_ = std::move(status);
    } else {
      this->Finish(std::move(status));
    }
  }

  ChangeFeed* feed_;
  const storage::TableSchema* table_;
  std::optional<WatchCursor> cursor_;
  bool registered_ = false;
  std::mutex mu_;
  std::deque<Change> pending_;
  bool writing_ = false;
  bool done_ = false;
  std::optional<grpc::Status> finish_;
};

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_WATCHER_H_
