#include "storage/early_writeback.h"

#include <fcntl.h>

#include "base/thread_name.h"

namespace lmdbapi::storage {

EarlyWriteback::EarlyWriteback(int fd, absl::Duration interval)
    : fd_(fd), interval_(interval) {}

EarlyWriteback::~EarlyWriteback() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void EarlyWriteback::Begin() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] {
      NameThisThread("early-writeback");
      Run();
    });
  }
  absl::MutexLock lock(&mu_);
  active_ = true;
}

void EarlyWriteback::End() {
  absl::MutexLock lock(&mu_);
  active_ = false;
}

uint64_t EarlyWriteback::kicks() const {
  absl::MutexLock lock(&mu_);
  return kicks_;
}

void EarlyWriteback::Run() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    mu_.Await(absl::Condition(this, &EarlyWriteback::Woken));
    if (stopping_) return;
    mu_.Unlock();
    // A failure (a file system without it) only leaves the work to the
    // commit's own fdatasync, as without this class.
    (void)sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
    mu_.Lock();
    ++kicks_;
    // Until the next interval, unless the commit ends or we stop first.
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
  }
}

}  // namespace lmdbapi::storage
