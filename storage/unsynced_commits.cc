#include "storage/unsynced_commits.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/checkpoint_file.h"
#include "storage/status.h"

namespace lmdbapi::storage {

UnsyncedCommits::UnsyncedCommits(Environment* env)
    : env_(env), dir_(env->options().path) {
  mdb_env_get_fd(env_->raw(), &fd_);
  MDB_stat stat;
  mdb_env_stat(env_->raw(), &stat);
  page_size_ = stat.ms_psize;
  thread_ = std::thread([this] {
    NameThisThread("commit-sync");
    RunSyncs();
  });
}

UnsyncedCommits::~UnsyncedCommits() {
  Finish().IgnoreError();  // the file stays when it fails: a rollback
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

absl::StatusOr<std::string> UnsyncedCommits::ReadMetaPages() const {
  std::string pages(2 * page_size_, '\0');
  size_t done = 0;
  while (done < pages.size()) {
    ssize_t n = pread(fd_, pages.data() + done, pages.size() - done, done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("read the meta pages of ", dir_, "/data.mdb: ",
                       n == 0 ? "the file is shorter than two pages"
                              : std::strerror(errno)));
    }
    done += n;
  }
  return pages;
}

absl::Status UnsyncedCommits::BeforeCommit(uint64_t revision_ceiling) {
  if (!active_) {
    // The last commit was LMDB's own, synced: it is the checkpoint.
    LMDBAPI_ASSIGN_OR_RETURN(checkpoint_pin_, Txn::BeginRead(env_->raw()));
    LMDBAPI_ASSIGN_OR_RETURN(checkpoint_meta_pages_, ReadMetaPages());
  } else {
    LMDBAPI_RETURN_IF_ERROR(WaitForSyncs());
  }
  // The last unsynced commit is synced now: the new checkpoint. (None when
  // the commit after the last BeforeCommit failed.)
  const bool advance = active_ && last_pin_.get() != nullptr;
  LMDBAPI_RETURN_IF_ERROR(WriteCheckpoint(
      dir_, Checkpoint{advance ? last_meta_pages_ : checkpoint_meta_pages_,
                       revision_ceiling}));
  if (advance) {
    checkpoint_pin_ = std::move(last_pin_);  // the older pin ends
    checkpoint_meta_pages_.swap(last_meta_pages_);
  }
  active_ = true;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_flags(env_->raw(), MDB_NOSYNC, 1),
                              "turn LMDB's sync off");
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::AfterCommit() {
  LMDBAPI_ASSIGN_OR_RETURN(last_pin_, Txn::BeginRead(env_->raw()));
  LMDBAPI_ASSIGN_OR_RETURN(last_meta_pages_, ReadMetaPages());
  absl::MutexLock lock(&mu_);
  ++requested_;
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::Finish() {
  if (!active_) return absl::OkStatus();
  absl::Status synced = WaitForSyncs();
  // One more, of everything: a sync that failed may succeed now, and a
  // commit whose AfterCommit failed was never synced.
  if (fdatasync(fd_) != 0) {
    return absl::InternalError(absl::StrCat(
        "sync ", dir_, "/data.mdb: ", std::strerror(errno),
        synced.ok() ? "" : absl::StrCat(" (before: ", synced.message(), ")")));
  }
  LMDBAPI_RETURN_IF_ERROR(RemoveCheckpoint(dir_));
  {
    absl::MutexLock lock(&mu_);
    sync_status_ = absl::OkStatus();
  }
  checkpoint_pin_.Abort();
  last_pin_.Abort();
  checkpoint_meta_pages_.clear();
  last_meta_pages_.clear();
  active_ = false;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_flags(env_->raw(), MDB_NOSYNC, 0),
                              "turn LMDB's sync on");
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::WaitForSyncs() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](UnsyncedCommits* u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(u->mu_) {
        return u->synced_ == u->requested_;
      },
      this));
  return sync_status_;
}

void UnsyncedCommits::RunSyncs() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(
        +[](UnsyncedCommits* u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(u->mu_) {
          return u->stop_ || u->synced_ < u->requested_;
        },
        this));
    if (synced_ == requested_) return;  // stopping, nothing asked
    const uint64_t target = requested_;
    mu_.Unlock();
    const int failed = fdatasync(fd_) != 0 ? errno : 0;
    mu_.Lock();
    if (failed != 0 && sync_status_.ok()) {
      sync_status_ = absl::InternalError(
          absl::StrCat("sync ", dir_, "/data.mdb: ", std::strerror(failed)));
    }
    synced_ = target;
  }
}

}  // namespace lmdbapi::storage
