#include "storage/writer.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/lmdb.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {
uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now() - start)
      .count();
}
}  // namespace

Writer::Writer(Environment* env, size_t max_batch, size_t max_queued)
    : env_(env),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      max_queued_(max_queued) {
  if (env->options().read_only) return;
  int fd = -1;
  if (mdb_env_get_fd(env->raw(), &fd) == MDB_SUCCESS) {
    writeback_ = std::make_unique<EarlyWriteback>(fd);
  }
  if (env->options().durability == Durability::kDurable) {
    unsynced_ = std::make_unique<UnsyncedCommits>(env);
  }
  thread_ = std::thread([this] {
    NameThisThread("lmdb-writer");
    Run();
  });
}

Writer::~Writer() { Stop(); }

void Writer::Submit(Operation op, Done done, WriteDeadline deadline) {
  Enqueue(Request{std::move(op), std::move(done), {}, deadline, {}});
}

void Writer::Enqueue(Request request) {
  if (env_->options().read_only) {
    request.done(absl::FailedPreconditionError(
        absl::StrCat("the database in '", env_->options().path,
                     "' is open read-only; nothing was written")));
    return;
  }
  size_t queued;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      queued = 0;
    } else if (max_queued_ == 0 || queue_.size() < max_queued_) {
      queue_.push_back(std::move(request));
      return;
    } else {
      queued = queue_.size();
    }
  }
  request.done(queued == 0
                   ? absl::UnavailableError("the writer is shutting down")
                   : absl::UnavailableError(absl::StrCat(
                         "overloaded: ", queued,
                         " writes are already waiting (--max_queued_writes); "
                         "nothing was written, retry after a short backoff")));
}

absl::Status Writer::Wait(absl::FunctionRef<void(Done)> start) {
  absl::Notification finished;
  absl::Status result;
  start([&](absl::Status status) {
    result = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

void Writer::SubmitCommand(std::string command, Operation op, Done done,
                           WriteDeadline deadline) {
  if (!replicated()) return Submit(std::move(op), std::move(done), deadline);
  absl::Status leader = replication_.replicator->CheckLeader();
  if (!leader.ok()) return done(leader);
  Enqueue(Request{
      std::move(op), std::move(done), {}, deadline, std::move(command)});
}

void Writer::SubmitUnsynced(Operation op, Done done, WriteDeadline deadline) {
  Request request{std::move(op), std::move(done), {}, deadline, {}};
  request.unsynced = unsynced_ != nullptr && !replicated();
  Enqueue(std::move(request));
}

void Writer::Sync(Done done) {
  Submit([](MDB_txn*) { return absl::OkStatus(); }, std::move(done));
}

absl::Status Writer::SubmitAndWait(Operation op) {
  return Wait([&](Done done) { Submit(std::move(op), std::move(done)); });
}

void Writer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&answers_mu_);
    answers_stop_ = true;  // once every batch handed over is answered
  }
  if (answer_thread_.joinable()) answer_thread_.join();
}

void Writer::set_revision_clock(RevisionClock* clock, uint64_t initial) {
  clock_ = clock;
  absl::MutexLock lock(&mu_);
  committed_revision_.store(initial, std::memory_order_release);
}

uint64_t Writer::committed_revision() const {
  return committed_revision_.load(std::memory_order_acquire);
}

bool Writer::AwaitRevision(uint64_t revision, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, revision]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return committed_revision_.load(std::memory_order_relaxed) >= revision;
  };
  return mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
}

void Writer::TakeQueued(std::deque<Request>& batch) {
  while (!queue_.empty() && batch.size() < max_batch_) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

WriterStats Writer::stats() const {
  absl::MutexLock lock(&mu_);
  WriterStats stats = stats_;
  stats.replicated = replication_.replicator != nullptr;
  stats.applied_entries = applied_;
  for (const Job* job : jobs_) stats.entries_waiting += job->mark ? 0 : 1;
  return stats;
}

void Writer::Run() {
  std::deque<Request> batch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return !w->queue_.empty() || w->stopping_ || w->handover_;
          },
          this));
      if (queue_.empty()) break;  // stopping (or handing over) and drained
      TakeQueued(batch);
    }
    ExpireLate(batch);
    // Each request gets its own status.
    RunBatch(batch, 0, MayCommitUnsynced(batch)).IgnoreError();
    Answer(batch);
  }
  // What is left unsynced is synced; when that fails, the checkpoint file
  // stays and the next open rolls back to it.
  if (unsynced_ != nullptr) unsynced_->Finish().IgnoreError();
}

bool Writer::MayCommitUnsynced(const std::deque<Request>& batch) const {
  if (unsynced_ == nullptr) return false;
  bool any = false;
  for (const Request& r : batch) {
    if (r.op == nullptr) continue;  // expired: runs nothing
    if (!r.unsynced) return false;
    any = true;
  }
  return any;
}

absl::Status Writer::FinishUnsynced() {
  if (unsynced_ == nullptr || !unsynced_->active()) return absl::OkStatus();
  return unsynced_->Finish();
}

void Writer::FailUnrun(std::deque<Request>& batch, const absl::Status& status) {
  for (Request& r : batch) {
    if (r.op != nullptr) r.status = status;
  }
}

void Writer::Answer(std::deque<Request>& batch) {
  // Started by Replicate() before the writer thread that calls this.
  if (!answer_thread_.joinable()) return AnswerNow(batch);
  if (batch.empty()) return;
  absl::MutexLock lock(&answers_mu_);
  answers_.push_back(std::move(batch));
  batch.clear();
}

void Writer::RunAnswers() {
  std::deque<std::deque<Request>> batches;
  while (true) {
    {
      absl::MutexLock lock(&answers_mu_);
      answers_mu_.Await(absl::Condition(
          +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->answers_mu_) {
            return !w->answers_.empty() || w->answers_stop_;
          },
          this));
      if (answers_.empty()) return;
      batches.swap(answers_);
    }
    for (std::deque<Request>& batch : batches) AnswerNow(batch);
    batches.clear();
  }
}

void Writer::AnswerNow(std::deque<Request>& batch) {
  auto start = std::chrono::steady_clock::now();
  bool committed = false;
  for (Request& request : batch) {
    committed = committed || request.status.ok();
    if (request.done) request.done(std::move(request.status));
  }
  if (committed && on_commit_) on_commit_();
  uint64_t done = MicrosSince(start);
  batch.clear();
  absl::MutexLock lock(&mu_);
  stats_.done_micros += done;
}

absl::Status Writer::RunBatch(std::deque<Request>& batch, uint64_t entry_index,
                              bool unsynced) {
  if (!unsynced) {
    absl::Status synced = FinishUnsynced();
    if (!synced.ok()) {  // nothing of the batch is committed
      FailUnrun(batch, synced);
      return synced;
    }
  }
  uint64_t apply = 0, commit = 0;
  absl::Status outcome;
  bool nested = nested_batches_ > 0;
  if (nested) --nested_batches_;
  uint64_t growths = 0, reruns = 0;
  while (true) {
    Attempt attempt = TryBatch(batch, entry_index, nested, unsynced, &apply,
                               &commit, &outcome);
    if (attempt == Attempt::kDone) break;
    if (attempt == Attempt::kNested) {
      nested = true;
      nested_batches_ = kNestedAfterFailure;
      ++reruns;
      continue;
    }
    // The map moves: no pin of unsynced commits may stay.
    absl::Status grown = FinishUnsynced();
    if (grown.ok()) grown = env_->GrowMap();
    if (!grown.ok()) {  // nothing of the batch was committed
      FailUnrun(batch, grown);
      outcome = grown;
      break;
    }
    ++growths;
  }
  absl::MutexLock lock(&mu_);
  ++stats_.batches;
  stats_.operations += batch.size();
  stats_.last_batch_size = batch.size();
  stats_.map_growths += growths;
  stats_.nested_reruns += reruns;
  stats_.apply_micros += apply;
  stats_.commit_micros += commit;
  return outcome;
}

// A request whose caller's deadline passed while it waited is answered
// DEADLINE_EXCEEDED and never applied; its status is set before the batch.
void Writer::ExpireLate(std::deque<Request>& batch) {
  const auto now = std::chrono::system_clock::now();
  for (Request& r : batch) {
    if (r.deadline < now) {
      r.status = absl::DeadlineExceededError(
          "the call's deadline passed while it waited for the writer; "
          "nothing was written");
      r.op = nullptr;
    }
  }
}

bool Writer::RunOperation(MDB_txn* txn, Request& r, bool nested, bool can_grow,
                          Attempt* again) {
  if (!nested) {
    r.status = r.op(txn);
  } else {
    absl::StatusOr<Txn> child = Txn::BeginWrite(env_->raw(), txn);
    r.status = child.ok() ? r.op(child->get()) : child.status();
    if (child.ok() && r.status.ok()) r.status = child->Commit();
  }
  if (IsMapFull(r.status) && can_grow) {
    *again = Attempt::kGrowMap;
    return false;
  }
  // Straight in the batch's transaction, a failure may have written half
  // of the operation: only a rollback of the batch undoes it.
  if (!r.status.ok() && !nested) {
    *again = Attempt::kNested;
    return false;
  }
  // At the map's limit: says which, and what to do.
  if (IsMapFull(r.status)) r.status = env_->GrowMap();
  return true;
}

Writer::Attempt Writer::TryBatch(std::deque<Request>& batch,
                                 uint64_t entry_index, bool nested,
                                 bool unsynced, uint64_t* apply_micros,
                                 uint64_t* commit_micros,
                                 absl::Status* outcome) {
  auto start = std::chrono::steady_clock::now();
  // A full map is retried after growth unless the map is at its limit, in
  // which case the operation that hit it fails alone.
  const bool can_grow =
      env_->Info().map_size_bytes < env_->options().max_map_size_bytes;
  absl::StatusOr<Txn> txn = Txn::BeginWrite(env_->raw(), nullptr);
  if (!txn.ok()) {
    FailUnrun(batch, txn.status());
    *outcome = txn.status();
    return Attempt::kDone;
  }
  RevisionClock::Batch counter(clock_, nested ? nullptr : txn->get());
  for (Request& r : batch) {
    if (r.op == nullptr) continue;  // expired (ExpireLate)
    Attempt again;
    if (!RunOperation(txn->get(), r, nested, can_grow, &again)) {
      *apply_micros += MicrosSince(start);
      return again;  // `txn` rolls back
    }
  }
  const uint64_t applied = MicrosSince(start);
  *apply_micros += applied;
  start = std::chrono::steady_clock::now();
  const bool large = writeback_ != nullptr &&
                     applied >= std::chrono::microseconds(kLargeApply).count();
  absl::Status commit = entry_index == 0
                            ? absl::OkStatus()
                            : RecordApplied(txn->get(), entry_index);
  absl::StatusOr<uint64_t> revision = uint64_t{0};
  if (commit.ok()) commit = counter.Store();
  if (commit.ok() && clock_ != nullptr) revision = clock_->Current(txn->get());
  if (commit.ok() && revision.ok() && before_commit_) {
    commit = before_commit_(txn->get(), *revision);
  }
  if (commit.ok() && large) writeback_->Begin();
  if (commit.ok()) {
    commit = Commit(*txn, unsynced, revision.ok() ? *revision : 0);
  }
  if (large) writeback_->End();
  if (commit.ok() && revision.ok() && *revision != 0) {
    absl::MutexLock lock(&mu_);
    if (*revision > committed_revision_.load(std::memory_order_relaxed)) {
      committed_revision_.store(*revision, std::memory_order_release);
    }
  }
  *commit_micros += MicrosSince(start);
  if (IsMapFull(commit)) {
    if (can_grow) return Attempt::kGrowMap;
    commit = env_->GrowMap();
  }
  if (!commit.ok()) {
    for (Request& r : batch) {
      if (r.status.ok()) r.status = commit;
    }
  }
  *outcome = commit;
  return Attempt::kDone;
}

absl::Status Writer::Commit(Txn& txn, bool unsynced, uint64_t revision) {
  if (!unsynced) return txn.Commit();
  LMDBAPI_RETURN_IF_ERROR(unsynced_->BeforeCommit(revision));
  LMDBAPI_RETURN_IF_ERROR(txn.Commit());
  // Without a pin the commit cannot stay unsynced: synced now instead.
  if (!unsynced_->AfterCommit().ok()) return unsynced_->Finish();
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
