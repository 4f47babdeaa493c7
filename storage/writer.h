// The single writer with group commit (docs/STORAGE.md).
//
// LMDB allows one write transaction at a time. Callers submit write
// operations; one thread takes every queued operation, runs them in one
// transaction, commits the batch once and only then answers every caller. A
// durable commit costs a fsync, so many concurrent writers share one fsync.
//
// A failing operation fails alone: the batch first runs every operation
// straight in the batch's transaction; when one fails, that transaction is
// rolled back and the batch runs again with each operation in its own nested
// transaction, which rolls back alone (and so do the next few batches:
// kNestedAfterFailure). A nested transaction copies every page its
// operation touches that the batch dirtied before (the roots and branches of
// every tree it writes), which is most of what a small write costs LMDB
// (docs/BENCHMARKS.md, "Nested transactions only when an operation fails").
//
// When the map is full the batch is rolled back, the map grows and the batch
// runs again; an operation is therefore run once or more and must depend
// only on its inputs and on the transaction it is given.
//
// On a replicated shard (docs/REPLICATION.md) a write that changes records
// comes with its command, the bytes every replica applies. The leader's
// writer proposes each batch of commands as one entry of the consensus log
// (Replicator), one batch at a time, and runs it when the log hands it back
// committed (ApplyEntryLater), like every replica does with every entry; a
// follower refuses such writes. Operations without a command (the index
// builder's chunks) stay local to each replica.
#ifndef LMDBAPI_STORAGE_WRITER_H_
#define LMDBAPI_STORAGE_WRITER_H_

#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/early_writeback.h"
#include "storage/environment.h"
#include "storage/revision_clock.h"
#include "storage/unsynced_commits.h"

namespace lmdbapi::storage {

struct WriterStats {
  uint64_t batches = 0;     // committed transactions
  uint64_t operations = 0;  // operations answered
  uint64_t last_batch_size = 0;
  uint64_t map_growths = 0;
  // Batches rolled back because an operation failed, and run again with a
  // nested transaction per operation.
  uint64_t nested_reruns = 0;
  // Time spent applying operations and committing (incl. fsync), in µs.
  uint64_t apply_micros = 0;
  uint64_t commit_micros = 0;
  // Time spent in the operations' `done` callbacks, in µs: the writer waits
  // for them before it starts the next batch.
  uint64_t done_micros = 0;
  // A replicated shard's (else false and 0): the log entries this replica
  // applied, and those handed to the writer and not applied yet
  // (ApplyEntryLater).
  bool replicated = false;
  uint64_t applied_entries = 0;
  uint64_t entries_waiting = 0;
};

// A replicated shard's consensus log, as the writer sees it
// (replication/raft_node.h).
class Replicator {
 public:
  virtual ~Replicator() = default;
  // OK on the leader; on a follower FAILED_PRECONDITION naming the leader
  // (storage::NotLeaderError).
  virtual absl::Status CheckLeader() const = 0;
  // Appends `entry` to the log. `committed` runs once, on any thread: OK
  // after the entry was applied here (through Writer::ApplyEntry), else why
  // this replica will not apply it as the leader that proposed it.
  virtual void Propose(std::string entry,
                       std::function<void(absl::Status)> committed) = 0;
  // A linearizable read's check: `done` (any thread) gets OK once this
  // replica, still the leader, has applied every entry committed before the
  // call; else NOT_LEADER or UNAVAILABLE.
  virtual void Barrier(std::function<void(absl::Status)> done) = 0;
};

// When a write must be applied by, or it is not applied at all: a caller's
// deadline. The default never passes.
using WriteDeadline = std::chrono::system_clock::time_point;

class Writer {
 public:
  // Runs inside a nested write transaction; a non-OK status rolls it back.
  using Operation = std::function<absl::Status(MDB_txn* txn)>;
  // Called on the writer thread once the operation's batch is durable (or
  // failed). Must be quick and must not submit and wait on this writer.
  using Done = std::function<void(absl::Status)>;

  // `max_batch` bounds the operations per transaction; `max_queued` the
  // operations waiting for the writer (0: no bound). On a read-only
  // environment no thread starts and every write fails at once with
  // FAILED_PRECONDITION.
  Writer(Environment* env, size_t max_batch, size_t max_queued = 0);
  ~Writer();  // Stop()s.
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues `op`; `done` gets its outcome. `done` gets UNAVAILABLE at once,
  // and `op` never runs, after Stop() or when `max_queued` operations are
  // already waiting; DEADLINE_EXCEEDED when `deadline` has passed by the
  // time the writer takes `op` from the queue. An `op` that ran is
  // destroyed only after `done` has returned: `done` may read what `op`
  // captured (Database::Commit's answers read the prepared records' bytes).
  void Submit(Operation op, Done done,
              WriteDeadline deadline = WriteDeadline::max());
  // A write of a replicated shard: `command` is what every replica applies
  // (the Replication's applier runs it on the others), `op` is the same
  // write with its outputs for this caller. Without replication: Submit.
  void SubmitCommand(std::string command, Operation op, Done done,
                     WriteDeadline deadline = WriteDeadline::max());
  // A large write (an import's batch) that may be answered before it is
  // durable: a batch of only such writes commits without waiting for the
  // disk, and its sync runs beside the next batch (storage/unsynced_commits.h;
  // a power cut undoes such batches whole, back to the last one synced). It
  // is durable once Sync() answers, or once a later write that is not such
  // a write commits. Without LMDB's sync (--durability other than durable)
  // or on a replicated shard: Submit.
  void SubmitUnsynced(Operation op, Done done,
                      WriteDeadline deadline = WriteDeadline::max());
  // `done` gets OK once every write committed before is durable.
  void Sync(Done done);
  // Queues `op` and blocks until its batch is committed.
  absl::Status SubmitAndWait(Operation op);
  // Calls `start` with a Done and blocks until that Done runs: the blocking
  // form of any asynchronous write (Table::Insert, Database::Commit, …).
  static absl::Status Wait(absl::FunctionRef<void(Done)> start);

  // Finishes every queued operation, then stops the thread. Idempotent.
  void Stop();

  WriterStats stats() const;

  // The revision of the data: `clock` counts it in each batch's
  // transaction (RevisionClock::Batch: stored once, just before the
  // commit), and committed_revision() gives it once committed (`initial`
  // until then). Set before the first Submit.
  void set_revision_clock(RevisionClock* clock, uint64_t initial);
  // Runs in each batch's transaction once the batch's revision is stored,
  // just before it commits, with that revision (the change log drops what
  // fell out of its retention there: once a batch, not once a write). A
  // failure fails the batch. Set before the first Submit.
  using BeforeCommit = std::function<absl::Status(MDB_txn*, uint64_t)>;
  void set_before_commit(BeforeCommit hook) {
    before_commit_ = std::move(hook);
  }
  uint64_t committed_revision() const;
  // Blocks until committed_revision() >= `revision` (true) or `deadline`
  // passes (false): a read that must see a given write.
  bool AwaitRevision(uint64_t revision, absl::Time deadline) const;

  // Makes the writer replicate (before the first Submit). `applier` runs a
  // command proposed by another replica; `set_time` gives the writes of an
  // entry the leader's clock (0: the local clock again); the index of the
  // last entry applied is kept in `meta` under kAppliedKey, in the entry's
  // own transaction, so that a replayed log skips what LMDB holds.
  using Applier = std::function<absl::Status(MDB_txn*, absl::string_view)>;
  struct Replication {
    Replicator* replicator = nullptr;
    uint64_t replica_id = 0;  // marks this replica's proposals
    Applier applier;
    std::function<void(int64_t micros)> set_time;
    MDB_dbi meta = 0;
    // Batches proposed and not yet applied at once: with 2, the next batch
    // is replicated while the one before it is applied. On one machine 2
    // was slower than 1 (smaller batches; docs/REPLICATION.md).
    size_t proposals_in_flight = 1;
  };
  static constexpr absl::string_view kAppliedKey = "replication.applied";
  absl::Status Replicate(Replication replication);
  bool replicated() const { return replication_.replicator != nullptr; }
  // Applies one committed entry of the log, blocking until the writer
  // thread has (the consensus thread calls it for every entry, in order).
  // An entry at or below the applied index is skipped. Not OK only when the
  // entry could not be committed to LMDB: the replica must stop.
  absl::Status ApplyEntry(absl::string_view entry);
  // The same without waiting: the entry is queued for the writer thread and
  // `applied` gets ApplyEntry's status there. The consensus thread goes on
  // (answers the next append, sends the next entry) while LMDB commits this
  // one; Drain and AfterApplied wait for what it queued. Blocks while
  // kMaxQueuedJobs entries wait already.
  void ApplyEntryLater(std::string entry,
                       std::function<void(absl::Status)> applied);
  static constexpr size_t kMaxQueuedJobs = 64;
  // Blocks until every entry queued before has been applied and is durable
  // in LMDB (or the writer stopped): before a snapshot records the applied
  // index, after which the log before it may be dropped.
  absl::Status Drain();
  // Calls `then` on the writer thread once every entry queued before has
  // been applied (kApplied: a linearizable read's barrier), and with
  // kDurable once LMDB also holds it durably (a snapshot's wait, as Drain).
  enum class Drained { kApplied, kDurable };
  void AfterApplied(std::function<void(absl::Status)> then,
                    Drained drained = Drained::kApplied);
  // Replaces the data with a snapshot of another replica's that applied
  // the log up to `applied`: `install` writes it, in one transaction on the
  // writer thread (blocking like ApplyEntry). Entries up to `applied` are
  // skipped from then on.
  absl::Status InstallSnapshot(Operation install, uint64_t applied);
  // The log position of the state (a snapshot's): entries up to `index`
  // are in LMDB (the consensus thread, before replaying entries after it).
  void RestoredTo(uint64_t index);
  // The index of the last entry applied (0: none, or not replicated).
  uint64_t applied_index() const;

  // Called on the writer thread after each committed batch (once its
  // callers are answered). Set before the first Submit; must be quick.
  void set_on_commit(std::function<void()> on_commit) {
    on_commit_ = std::move(on_commit);
  }

 private:
  struct Request {
    Operation op;
    Done done;
    absl::Status status;
    WriteDeadline deadline;
    std::string command;    // replicated writes only
    bool unsynced = false;  // SubmitUnsynced's
  };
  // A committed entry (ApplyEntry), a snapshot (InstallSnapshot) or a mark
  // (Drain, AfterApplied) waiting for the writer thread. A job with `then`
  // belongs to the queue: the writer calls `then` and deletes it; else its
  // caller waits for `finished`.
  struct Job {
    absl::string_view entry;
    absl::Status status;
    bool finished = false;
    Operation install;  // a snapshot's
    uint64_t applied = 0;
    bool mark = false;     // applies nothing
    bool durable = false;  // a mark after which what was applied is synced
    std::string owned;     // `entry`'s bytes, for ApplyEntryLater
    std::function<void(absl::Status)> then;
  };
  void Run();
  // Queues `request` for the writer thread, or answers it at once when the
  // database is read-only, the writer stops, or `max_queued` are waiting.
  void Enqueue(Request request);
  // Moves queued requests into `batch`, up to max_batch_ in it.
  void TakeQueued(std::deque<Request>& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::function<void()> on_commit_;
  RevisionClock* clock_ = nullptr;
  BeforeCommit before_commit_;
  // Written under mu_ (AwaitRevision's condition reads it there); read
  // without it by committed_revision(), which every read call asks.
  std::atomic<uint64_t> committed_revision_{0};
  // Runs the batch in one transaction (each request gets its status) and
  // returns the transaction's: not OK when nothing was committed.
  // `entry_index` not 0: the batch is that log entry, recorded as applied
  // in its transaction.
  // `unsynced`: commit without LMDB's sync (unsynced_); otherwise the
  // unsynced commits before are made durable first.
  absl::Status RunBatch(std::deque<Request>& batch, uint64_t entry_index = 0,
                        bool unsynced = false);
  // Whether `batch` may commit unsynced: SubmitUnsynced's writes only.
  bool MayCommitUnsynced(const std::deque<Request>& batch) const;
  // Every request of `batch` not expired gets `status` (nothing of it
  // was committed).
  static void FailUnrun(std::deque<Request>& batch, const absl::Status& status);
  absl::Status FinishUnsynced();
  void ExpireLate(std::deque<Request>& batch);
  // How one attempt at a batch ended: committed (or failed whole), or
  // rolled back, to run again once the map grew or with nested
  // transactions.
  enum class Attempt { kDone, kGrowMap, kNested };
  // One attempt at the batch, each operation in a nested transaction of its
  // own or (`nested` false) all straight in the batch's.
  Attempt TryBatch(std::deque<Request>& batch, uint64_t entry_index,
                   bool nested, bool unsynced, uint64_t* apply_micros,
                   uint64_t* commit_micros, absl::Status* outcome);
  // Commits `txn`, unsynced when asked; `revision` is what it reaches.
  absl::Status Commit(Txn& txn, bool unsynced, uint64_t revision);
  // Runs `r` in `txn` (in a nested transaction when `nested`); false when
  // the batch must run again (after the map grew, or nested).
  bool RunOperation(MDB_txn* txn, Request& r, bool nested, bool can_grow,
                    Attempt* again);
  // After a batch ran again nested, the next ones start nested (an
  // operation that fails tends to be followed by more of its kind).
  static constexpr int kNestedAfterFailure = 8;
  int nested_batches_ = 0;  // the writer thread's
  absl::Status RecordApplied(MDB_txn* txn, uint64_t entry_index) const;
  // Answers every request with its status, then tells on_commit_. On a
  // replicated shard the batch goes to the answering thread, and the writer
  // goes on with the next entry while the answers go out (measured: 1.08 ×
  // the inserts/s of three replicas; no gain for one server, whose writer
  // answers itself: docs/BENCHMARKS.md).
  void Answer(std::deque<Request>& batch);
  void AnswerNow(std::deque<Request>& batch);
  // The answering thread: answers batches in the order handed over.
  void RunAnswers();
  // Replicated mode (writer_replicated.cc): the writer thread's loop, its
  // steps, and the entry it proposed.
  void RunReplicated();
  void ProposeOrRun(std::deque<Request>& batch);
  void RunJob(Job& job);
  void RunInstall(Job& job);
  // A follower's committed entries applied together: `first` and the
  // entries queued behind it (other replicas' proposals), gathered for up
  // to kFollowerGather, in one transaction and one commit.
  static bool IsQueuedEntry(const Job& job);
  bool IsForeignEntry(const Job& job) const;
  void RunFollowerEntries(std::unique_ptr<Job> first);
  static constexpr size_t kMaxFollowerGroup = 16;
  static constexpr std::chrono::milliseconds kFollowerGather{10};
  // When the last group was applied (writer thread).
  std::chrono::steady_clock::time_point last_follower_group_;
  // Hands `job` to the writer thread and waits until it ran.
  absl::Status RunOnWriterThread(Job& job);
  // Hands `job` to the writer thread, which calls job->then once it ran;
  // blocks while kMaxQueuedJobs wait already. Never on the writer thread.
  void QueueJob(std::unique_ptr<Job> job);
  void AnswerProposal(uint64_t sequence, absl::Status result);
  Replication replication_;
  // This replica's proposals not answered yet, by sequence (writer thread).
  struct Proposal {
    std::deque<Request> requests;
    bool applied = false;
  };
  std::map<uint64_t, Proposal> in_flight_;
  uint64_t next_sequence_ = 1;
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(mu_);
  size_t proposing_ ABSL_GUARDED_BY(mu_) = 0;  // in_flight_.size()
  // What the log said of each proposal, by sequence, not yet answered.
  std::map<uint64_t, absl::Status> proposal_results_ ABSL_GUARDED_BY(mu_);
  bool thread_done_ ABSL_GUARDED_BY(mu_) = false;
  bool handover_ ABSL_GUARDED_BY(mu_) = false;  // Run() ends for Replicate()
  uint64_t seen_ ABSL_GUARDED_BY(mu_) = 0;      // entries handed over
  uint64_t applied_ ABSL_GUARDED_BY(mu_) = 0;   // the stored applied index

  Environment* const env_;
  // Commits whose transaction applied for at least kLargeApply (an import
  // batch, an index build's chunk: thousands of pages) start the disk early
  // (storage/early_writeback.h); a group of inserts applies in well under it.
  static constexpr std::chrono::milliseconds kLargeApply{10};
  std::unique_ptr<EarlyWriteback> writeback_;  // null when read-only
  // Null when read-only or when LMDB's commits do not sync anyway.
  std::unique_ptr<UnsyncedCommits> unsynced_;
  // On a replica (Replicate), the log's entries commit unsynced: the log
  // holds them durably, and replays those a rollback undid. A sync every
  // kReplicaSyncInterval covers the commits since the last; the writer
  // waits only when kReplicaMaxUnsynced are unsynced (docs/REPLICATION.md).
  static constexpr size_t kReplicaMaxUnsynced = 256;
  static constexpr absl::Duration kReplicaSyncInterval =
      absl::Milliseconds(100);
  bool entries_unsynced_ = false;
  const size_t max_batch_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WriterStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  absl::Mutex answers_mu_;
  std::deque<std::deque<Request>> answers_ ABSL_GUARDED_BY(answers_mu_);
  bool answers_stop_ ABSL_GUARDED_BY(answers_mu_) = false;
  std::thread answer_thread_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_WRITER_H_
