// The single writer with group commit (docs/STORAGE.md).
//
// LMDB allows one write transaction at a time. Callers submit write
// operations; one thread takes every queued operation, runs each in its own
// nested transaction (a failing operation rolls back alone), commits the
// batch once and only then answers every caller. A durable commit costs a
// fsync, so many concurrent writers share one fsync.
//
// When the map is full the batch is rolled back, the map grows and the batch
// runs again; an operation is therefore run once or more and must depend
// only on its inputs and on the transaction it is given.
#ifndef LMDBAPI_STORAGE_WRITER_H_
#define LMDBAPI_STORAGE_WRITER_H_

#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "storage/environment.h"

namespace lmdbapi::storage {

struct WriterStats {
  uint64_t batches = 0;     // committed transactions
  uint64_t operations = 0;  // operations answered
  uint64_t last_batch_size = 0;
  uint64_t map_growths = 0;
  // Time spent applying operations and committing (incl. fsync), in µs.
  uint64_t apply_micros = 0;
  uint64_t commit_micros = 0;
  // Time spent in the operations' `done` callbacks, in µs: the writer waits
  // for them before it starts the next batch.
  uint64_t done_micros = 0;
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
  // time the writer takes `op` from the queue.
  void Submit(Operation op, Done done,
              WriteDeadline deadline = WriteDeadline::max());
  // Queues `op` and blocks until its batch is committed.
  absl::Status SubmitAndWait(Operation op);
  // Calls `start` with a Done and blocks until that Done runs: the blocking
  // form of any asynchronous write (Table::Insert, Database::Commit, …).
  static absl::Status Wait(absl::FunctionRef<void(Done)> start);

  // Finishes every queued operation, then stops the thread. Idempotent.
  void Stop();

  WriterStats stats() const;

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
  };
  void Run();
  std::function<void()> on_commit_;
  void RunBatch(std::deque<Request>& batch);
  void ExpireLate(std::deque<Request>& batch);
  // One attempt at the batch; returns false when it must be retried after
  // the map grew.
  bool TryBatch(std::deque<Request>& batch, uint64_t* apply_micros,
                uint64_t* commit_micros);

  Environment* const env_;
  const size_t max_batch_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WriterStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_WRITER_H_
