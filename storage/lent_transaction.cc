#include "storage/lent_transaction.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace lmdbapi::storage {
namespace {

// The hand-over between the writer's thread and the borrower's.
struct Loan {
  absl::Mutex mu;
  MDB_txn* txn ABSL_GUARDED_BY(mu) = nullptr;  // lent, `op` not yet applied
  std::optional<absl::Status> applied ABSL_GUARDED_BY(mu);
  std::optional<absl::Status> committed ABSL_GUARDED_BY(mu);
  absl::Notification done;  // after `committed`: the writer is through
};

}  // namespace

absl::Status RunLent(Writer& writer,
                     absl::FunctionRef<absl::Status(MDB_txn*)> op) {
  Loan loan;
  writer.Submit(
      [&loan](MDB_txn* txn) {  // on the writer's thread
        absl::MutexLock lock(&loan.mu);
        loan.txn = txn;
        loan.applied.reset();
        loan.mu.Await(absl::Condition(
            +[](Loan* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu) {
              return l->applied.has_value();
            },
            &loan));
        loan.txn = nullptr;
        return *loan.applied;
      },
      [&loan](absl::Status status) {
        {
          absl::MutexLock lock(&loan.mu);
          loan.committed = std::move(status);
        }
        loan.done.Notify();
      });
  loan.mu.Lock();
  while (true) {
    loan.mu.Await(absl::Condition(
        +[](Loan* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu) {
          return l->committed.has_value() ||
                 (l->txn != nullptr && !l->applied.has_value());
        },
        &loan));
    if (loan.committed.has_value()) break;
    MDB_txn* txn = loan.txn;
    loan.mu.Unlock();
    absl::Status status = op(txn);  // the writer waits meanwhile
    loan.mu.Lock();
    loan.applied = std::move(status);
  }
  absl::Status committed = *loan.committed;
  loan.mu.Unlock();
  loan.done.WaitForNotification();
  return committed;
}

absl::Status LowerThisThreadsPriority(int nice) {
  if (nice == 0) return absl::OkStatus();
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, tid, nice) != 0) {
    return absl::InternalError(
        absl::StrCat("setpriority(", nice, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
