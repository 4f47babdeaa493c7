// A write whose work runs on the calling thread: the writer lends its
// transaction and waits while the caller applies the operation, then
// commits it as any write (storage/writer.h).
//
// For background work that runs at a lower CPU priority (index builds,
// --index_build_nice): the serving threads preempt it while it applies,
// and the writer's thread, which could lower its priority but not raise
// it again without privileges, spends only the commit on it.
#ifndef LMDBAPI_STORAGE_LENT_TRANSACTION_H_
#define LMDBAPI_STORAGE_LENT_TRANSACTION_H_

#include <lmdb.h>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "storage/writer.h"

namespace lmdbapi::storage {

// Queues a write on `writer` whose `op` runs on this thread inside the
// writer's (nested) transaction, and blocks until its batch is committed:
// what Writer::SubmitAndWait returns. `op` may run more than once (the
// writer retries a batch, e.g. after growing the map); it never runs when
// the writer refuses the write.
absl::Status RunLent(Writer& writer,
                     absl::FunctionRef<absl::Status(MDB_txn*)> op);

// Lowers the calling thread's CPU priority to `nice` (0: unchanged; Linux
// sets it per thread). A thread cannot raise it again without privileges.
absl::Status LowerThisThreadsPriority(int nice);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_LENT_TRANSACTION_H_
