// Starts the disk on a large commit's pages while LMDB is still writing
// them. LMDB's commit copies the transaction's dirty pages into the file
// (writev into the page cache), then fdatasync()s them, then writes the meta
// page: the disk starts only at the fdatasync, and the writeback work (the
// file system mapping pages to blocks) runs on the committing thread. While
// Begin() ... End() brackets a commit, a thread of this class asks the
// kernel every `interval` to start writing back what is dirty in the file
// (sync_file_range(SYNC_FILE_RANGE_WRITE), which starts writeback and does
// not wait for it), so the fdatasync finds most pages written or on their
// way. It changes no ordering LMDB relies on: the meta page is written only
// after the fdatasync returns, and starting an earlier write of a data page
// is what the kernel's own writeback may do at any time. Nor does it hide a
// failed write from the commit: SYNC_FILE_RANGE_WRITE alone neither waits
// nor checks the file's writeback errors (the WAIT_BEFORE and WAIT_AFTER
// flags would consume one), so the commit's own fdatasync still reports it.
//
// Measured on a binary import of 1,000,000 permits: a 65,536-record batch's
// commit 65–93 → 47–61 ms, 1.04–1.21 × the import's rate (docs/BENCHMARKS.md).
// Worth it only for a commit of many pages; the writer brackets only those
// (storage/writer.cc, kLargeApply), so a small group commit wakes no thread.
#ifndef LMDBAPI_STORAGE_EARLY_WRITEBACK_H_
#define LMDBAPI_STORAGE_EARLY_WRITEBACK_H_

#include <cstdint>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lmdbapi::storage {

class EarlyWriteback {
 public:
  // `fd`: the data file's descriptor (mdb_env_get_fd), not owned. The
  // thread starts at the first Begin().
  explicit EarlyWriteback(int fd,
                          absl::Duration interval = absl::Milliseconds(2));
  ~EarlyWriteback();
  EarlyWriteback(const EarlyWriteback&) = delete;
  EarlyWriteback& operator=(const EarlyWriteback&) = delete;

  // A large commit starts: writeback is started at once and then every
  // `interval` until End().
  void Begin();
  void End();

  // How many times writeback was started (tests).
  uint64_t kicks() const;

 private:
  void Run();
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return active_ || stopping_;
  }

  const int fd_;
  const absl::Duration interval_;
  mutable absl::Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t kicks_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // started by the first Begin()
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_EARLY_WRITEBACK_H_
