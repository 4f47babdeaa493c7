// The writer of a replicated shard (storage/writer.h, docs/REPLICATION.md):
// batches proposed as log entries, and committed entries applied.
//
// An entry is its proposer's replica id and sequence number (so that the
// leader finds its own batch when the log hands the entry back), the
// leader's clock for its writes, and the batch's commands:
//   byte 1, fixed64 replica id, fixed64 sequence, fixed64 micros,
//   varint count, then each command length-prefixed,
// then up to 7 zero bytes: the log may pad an entry to a multiple of 8
// (server/replication/raft_node.cc does).
#include <chrono>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/coding.h"
#include "storage/lmdb.h"
#include "storage/status.h"
#include "storage/writer.h"

namespace lmdbapi::storage {
namespace {

constexpr uint8_t kEntryFormat = 1;

struct Entry {
  uint64_t replica_id = 0;
  uint64_t sequence = 0;
  int64_t micros = 0;
  std::vector<std::string> commands;
};

absl::StatusOr<Entry> DecodeEntry(absl::string_view bytes) {
  Decoder in(bytes);
  Entry entry;
  if (uint8_t format = in.Byte(); format != kEntryFormat) {
    return absl::DataLossError(absl::StrCat("a log entry of an unknown format ",
                                            format, " (", bytes.size(),
                                            " bytes)"));
  }
  entry.replica_id = in.Fixed64();
  entry.sequence = in.Fixed64();
  entry.micros = static_cast<int64_t>(in.Fixed64());
  for (uint64_t n = in.Varint64(); in.ok() && n > 0; --n) {
    entry.commands.push_back(in.LengthPrefixed());
  }
  if (!in.ok() || in.rest().size() > 7 ||
      in.rest().find_first_not_of('\0') != absl::string_view::npos) {
    return absl::DataLossError("a log entry cut short");
  }
  return entry;
}

}  // namespace

absl::Status Writer::Replicate(Replication replication) {
  if (env_->options().read_only) {
    return absl::FailedPreconditionError(
        "a read-only database cannot replicate");
  }
  {
    absl::MutexLock lock(&mu_);
    handover_ = true;
  }
  if (thread_.joinable()) thread_.join();  // Run() drains the queue first
  // Run() left nothing unsynced; the log's entries commit unsynced from
  // here, with no revision ceiling (a replay gives the same revisions).
  if (env_->options().durability != Durability::kNoSync) {
    unsynced_ = std::make_unique<UnsyncedCommits>(
        env_, UnsyncedCommits::Options{kReplicaMaxUnsynced, false,
                                       kReplicaSyncInterval});
    entries_unsynced_ = true;
  }
  LMDBAPI_ASSIGN_OR_RETURN(Txn txn, Txn::BeginRead(env_->raw()));
  absl::StatusOr<absl::string_view> stored =
      GetValue(txn.get(), replication.meta, kAppliedKey);
  if (!stored.ok() && !absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  absl::MutexLock lock(&mu_);
  applied_ =
      stored.ok() && stored->size() == 8 ? DecodeFixed64(stored->data()) : 0;
  replication_ = std::move(replication);
  // Sequences go on from the clock, so that a restarted replica never takes
  // an entry it proposed before the restart (replayed, or committed late by
  // a new leader) for one of its new proposals.
  next_sequence_ = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  handover_ = false;
  if (!answer_thread_.joinable()) {
    answer_thread_ = std::thread([this] {
      NameThisThread("writer-answers");
      RunAnswers();
    });
  }
  thread_ = std::thread([this] {
    NameThisThread("lmdb-writer");
    RunReplicated();
  });
  return absl::OkStatus();
}

uint64_t Writer::applied_index() const {
  absl::MutexLock lock(&mu_);
  return applied_;
}

void Writer::RestoredTo(uint64_t index) {
  absl::MutexLock lock(&mu_);
  seen_ = index;
}

absl::Status Writer::RecordApplied(MDB_txn* txn, uint64_t entry_index) const {
  std::string value;
  PutFixed64(entry_index, &value);
  return PutValue(txn, replication_.meta, kAppliedKey, value);
}

absl::Status Writer::ApplyEntry(absl::string_view entry) {
  Job job{entry, {}, false, nullptr, 0};
  return RunOnWriterThread(job);
}

absl::Status Writer::InstallSnapshot(Operation install, uint64_t applied) {
  Job job{{}, {}, false, std::move(install), applied};
  return RunOnWriterThread(job);
}

void Writer::ApplyEntryLater(std::string entry,
                             std::function<void(absl::Status)> applied) {
  auto job = std::make_unique<Job>();
  job->owned = std::move(entry);
  job->entry = job->owned;
  job->then = std::move(applied);
  QueueJob(std::move(job));
}

absl::Status Writer::Drain() {
  Job job;
  job.mark = true;
  job.durable = true;
  return RunOnWriterThread(job);
}

void Writer::AfterApplied(std::function<void(absl::Status)> then,
                          Drained drained) {
  auto job = std::make_unique<Job>();
  job->mark = true;
  job->durable = drained == Drained::kDurable;
  job->then = std::move(then);
  QueueJob(std::move(job));
}

void Writer::QueueJob(std::unique_ptr<Job> job) {
  {
    absl::MutexLock lock(&mu_);
    // A writer far behind holds the consensus thread back rather than
    // queue copies of entries without bound.
    mu_.Await(absl::Condition(
        +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
          return w->jobs_.size() < kMaxQueuedJobs || w->thread_done_;
        },
        this));
    if (!thread_done_) {
      jobs_.push_back(job.release());
      return;
    }
  }
  job->then(absl::UnavailableError("the writer has stopped"));
}

absl::Status Writer::RunOnWriterThread(Job& job) {
  absl::MutexLock lock(&mu_);
  if (thread_done_) return absl::UnavailableError("the writer has stopped");
  jobs_.push_back(&job);
  mu_.Await(absl::Condition(&job.finished));
  return job.status;
}

void Writer::RunReplicated() {
  std::deque<Request> batch;
  while (true) {
    Job* job = nullptr;
    std::optional<std::pair<uint64_t, absl::Status>> answer;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            const bool room =
                w->proposing_ < w->replication_.proposals_in_flight;
            return !w->jobs_.empty() || !w->proposal_results_.empty() ||
                   (room && !w->queue_.empty()) ||
                   (w->stopping_ && w->proposing_ == 0);
          },
          this));
      if (!jobs_.empty()) {
        job = jobs_.front();
        jobs_.pop_front();
      } else if (!proposal_results_.empty()) {
        answer.emplace(proposal_results_.begin()->first,
                       std::move(proposal_results_.begin()->second));
        proposal_results_.erase(proposal_results_.begin());
      } else if (queue_.empty()) {  // stopping, nothing in flight
        thread_done_ = true;
        break;
      } else {
        TakeQueued(batch);
      }
    }
    if (job != nullptr && IsQueuedEntry(*job) && IsForeignEntry(*job)) {
      RunFollowerEntries(std::unique_ptr<Job>(job));
    } else if (job != nullptr) {
      // A queued job is the writer's to delete; a waited-for one its
      // caller's, gone once RunJob marks it finished.
      std::unique_ptr<Job> queued(job->then != nullptr ? job : nullptr);
      RunJob(*job);
      if (queued != nullptr) queued->then(queued->status);
    } else if (answer.has_value()) {
      AnswerProposal(answer->first, std::move(answer->second));
    } else {
      ProposeOrRun(batch);
    }
  }
  // What is left unsynced is synced; when that fails, the checkpoint file
  // stays and the next open rolls back to it (the log replays the rest).
  if (unsynced_ != nullptr) unsynced_->Finish().IgnoreError();
}

// Local operations run now; commands are proposed as one entry (on the
// leader) or refused (on a follower).
void Writer::ProposeOrRun(std::deque<Request>& batch) {
  ExpireLate(batch);
  std::deque<Request> local, answered, commands;
  for (Request& r : batch) {
    if (r.op == nullptr) {
      answered.push_back(std::move(r));  // expired
    } else if (r.command.empty()) {
      local.push_back(std::move(r));
    } else {
      commands.push_back(std::move(r));
    }
  }
  batch.clear();
  if (!local.empty()) {
    RunBatch(local).IgnoreError();  // each request carries its status
    Answer(local);
  }
  Answer(answered);
  if (commands.empty()) return;
  absl::Status leader = replication_.replicator->CheckLeader();
  if (!leader.ok()) {
    for (Request& r : commands) r.status = leader;
    Answer(commands);
    return;
  }
  const uint64_t sequence = next_sequence_++;
  std::string entry(1, static_cast<char>(kEntryFormat));
  PutFixed64(replication_.replica_id, &entry);
  PutFixed64(sequence, &entry);
  PutFixed64(absl::ToUnixMicros(absl::Now()), &entry);
  PutVarint64(commands.size(), &entry);
  for (const Request& r : commands) PutLengthPrefixed(r.command, &entry);
  in_flight_[sequence].requests = std::move(commands);
  {
    absl::MutexLock lock(&mu_);
    ++proposing_;
  }
  replication_.replicator->Propose(std::move(entry),
                                   [this, sequence](absl::Status s) {
                                     absl::MutexLock lock(&mu_);
                                     proposal_results_[sequence] = std::move(s);
                                   });
}

void Writer::AnswerProposal(uint64_t sequence, absl::Status result) {
  auto it = in_flight_.find(sequence);
  Proposal proposal = std::move(it->second);
  in_flight_.erase(it);
  // The writes waiting are proposed before these callers are answered, so
  // that the log replicates them while the answers go out.
  std::deque<Request> next;
  {
    absl::MutexLock lock(&mu_);
    --proposing_;
    if (jobs_.empty()) TakeQueued(next);
  }
  if (!next.empty()) ProposeOrRun(next);
  if (!proposal.applied) {
    absl::Status lost =
        ReasonOf(result) == kNotLeaderReason ? result
        : result.ok()
            ? absl::InternalError("committed but not applied")
            : absl::UnavailableError(absl::StrCat(
                  "the write was not committed while this replica led (",
                  result.message(),
                  "); a new leader may still commit it: read it back before "
                  "writing it again"));
    for (Request& r : proposal.requests) r.status = lost;
  }
  Answer(proposal.requests);
}

void Writer::RunJob(Job& job) {
  if (job.install) return RunInstall(job);
  if (job.mark) {
    absl::Status synced = job.durable ? FinishUnsynced() : absl::OkStatus();
    absl::MutexLock lock(&mu_);
    job.status = synced;
    job.finished = true;
    return;
  }
  absl::StatusOr<Entry> entry = DecodeEntry(job.entry);
  uint64_t index, applied;
  {
    absl::MutexLock lock(&mu_);
    index = ++seen_;
    applied = applied_;
  }
  absl::Status status = entry.status();
  if (status.ok() && index > applied) {
    std::deque<Request> decoded;
    std::deque<Request>* requests = &decoded;
    auto mine = entry->replica_id == replication_.replica_id
                    ? in_flight_.find(entry->sequence)
                    : in_flight_.end();
    if (mine != in_flight_.end() && !mine->second.applied) {
      requests = &mine->second.requests;  // this replica's callers wait
      mine->second.applied = true;
    } else {
      for (std::string& command : entry->commands) {
        decoded.push_back(
            Request{[this, command = std::move(command)](MDB_txn* txn) {
                      return replication_.applier(txn, command);
                    },
                    nullptr,
                    {},
                    WriteDeadline::max(),
                    {}});
      }
    }
    if (replication_.set_time) replication_.set_time(entry->micros);
    status = RunBatch(*requests, index, entries_unsynced_);
    if (replication_.set_time) replication_.set_time(0);
    for (const Request& r : decoded) {  // unreadable: the replica must stop
      if (absl::IsDataLoss(r.status)) status = r.status;
    }
    if (status.ok() && requests == &decoded) Answer(decoded);
  }
  absl::MutexLock lock(&mu_);
  if (status.ok() && index > applied_) applied_ = index;
  job.status = status;
  job.finished = true;
}

bool Writer::IsQueuedEntry(const Job& job) {
  return !job.mark && !job.install && job.then != nullptr;
}

// Another replica's proposal, or one of this replica's whose callers were
// answered already (a replay): applied from its commands.
bool Writer::IsForeignEntry(const Job& job) const {
  Decoder in(job.entry);
  if (in.Byte() != kEntryFormat) return true;  // refused when applied
  const uint64_t replica_id = in.Fixed64();
  const uint64_t sequence = in.Fixed64();
  if (!in.ok() || replica_id != replication_.replica_id) return true;
  auto mine = in_flight_.find(sequence);
  return mine == in_flight_.end() || mine->second.applied;
}

void Writer::RunFollowerEntries(std::unique_ptr<Job> first) {
  std::vector<std::unique_ptr<Job>> group;
  group.push_back(std::move(first));
  std::vector<uint64_t> indexes;
  uint64_t applied;
  {
    absl::MutexLock lock(&mu_);
    // Gathering only while entries come in fast: on a quiet shard an entry
    // applies at once.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_follower_group_ < kFollowerGather) {
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
                return w->jobs_.size() + 1 >= kMaxFollowerGroup ||
                       (!w->jobs_.empty() &&
                        !IsQueuedEntry(*w->jobs_.back())) ||
                       !w->proposal_results_.empty() || !w->queue_.empty() ||
                       w->stopping_ || w->handover_;
              },
              this),
          absl::FromChrono(kFollowerGather));
    }
    while (group.size() < kMaxFollowerGroup && !jobs_.empty() &&
           IsQueuedEntry(*jobs_.front()) && IsForeignEntry(*jobs_.front())) {
      group.emplace_back(jobs_.front());
      jobs_.pop_front();
    }
    for (size_t i = 0; i < group.size(); ++i) indexes.push_back(++seen_);
    applied = applied_;
  }
  std::deque<Request> requests;
  absl::Status status;
  uint64_t last = 0;
  size_t decoded = 0;  // the jobs whose entries are in `requests`
  for (; decoded < group.size(); ++decoded) {
    if (indexes[decoded] <= applied) continue;  // LMDB holds it (a replay)
    absl::StatusOr<Entry> entry = DecodeEntry(group[decoded]->entry);
    if (!entry.ok()) {
      status = entry.status();
      break;
    }
    last = indexes[decoded];
    for (std::string& command : entry->commands) {
      requests.push_back(Request{[this, micros = entry->micros,
                                  command = std::move(command)](MDB_txn* txn) {
                                   if (replication_.set_time)
                                     replication_.set_time(micros);
                                   return replication_.applier(txn, command);
                                 },
                                 nullptr,
                                 {},
                                 WriteDeadline::max(),
                                 {}});
    }
  }
  absl::Status batch;
  if (last > 0) {
    batch = RunBatch(requests, last, entries_unsynced_);
    if (replication_.set_time) replication_.set_time(0);
    for (const Request& r : requests) {  // unreadable: the replica must stop
      if (absl::IsDataLoss(r.status)) batch = r.status;
    }
    if (batch.ok()) Answer(requests);
  }
  {
    absl::MutexLock lock(&mu_);
    if (batch.ok() && last > applied_) applied_ = last;
  }
  last_follower_group_ = std::chrono::steady_clock::now();
  for (size_t i = 0; i < group.size(); ++i) {
    group[i]->then(!batch.ok()   ? batch
                   : i < decoded ? absl::OkStatus()
                                 : status);
  }
}

void Writer::RunInstall(Job& job) {
  std::deque<Request> install;
  install.push_back(
      Request{std::move(job.install), nullptr, {}, WriteDeadline::max(), {}});
  absl::Status status = RunBatch(install);
  if (status.ok()) status = install.front().status;
  if (status.ok()) Answer(install);  // watchers see the new revision
  absl::MutexLock lock(&mu_);
  if (status.ok()) applied_ = job.applied;
  job.status = status;
  job.finished = true;
}

}  // namespace lmdbapi::storage
