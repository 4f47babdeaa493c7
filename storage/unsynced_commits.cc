#include "storage/unsynced_commits.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "storage/checkpoint_file.h"
#include "storage/status.h"

namespace lmdbapi::storage {

UnsyncedCommits::UnsyncedCommits(Environment* env, Options options)
    : env_(env), options_(options), dir_(env->options().path) {
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

absl::Status UnsyncedCommits::WriteFile(uint64_t id,
                                        const std::string& meta_pages,
                                        uint64_t ceiling) {
  if (!options_.revision_ceiling) ceiling = 0;
  LMDBAPI_RETURN_IF_ERROR(
      WriteCheckpoint(dir_, Checkpoint{meta_pages, ceiling}));
  absl::MutexLock lock(&mu_);
  file_id_ = id;
  file_meta_pages_ = meta_pages;
  file_ceiling_ = ceiling;
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::Start(uint64_t revision_ceiling) {
  // The last commit was LMDB's own, synced: it is the checkpoint.
  Pinned synced;
  LMDBAPI_ASSIGN_OR_RETURN(synced.pin, Txn::BeginRead(env_->raw()));
  LMDBAPI_ASSIGN_OR_RETURN(synced.meta_pages, ReadMetaPages());
  {
    absl::MutexLock file(&file_mu_);
    LMDBAPI_RETURN_IF_ERROR(
        WriteFile(0, synced.meta_pages, revision_ceiling + kCeilingHeadroom));
  }
  pinned_.push_back(std::move(synced));
  next_id_ = 1;
  active_ = true;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> UnsyncedCommits::WaitForRoom(
    uint64_t revision_ceiling) {
  {
    absl::MutexLock lock(&mu_);
    // max_unsynced commits after the checkpoint still unsynced: wait for
    // the oldest.
    struct Next {
      UnsyncedCommits* u;
      uint64_t id;
    } next{this, next_id_};
    ++waiting_;
    mu_.Await(absl::Condition(
        +[](Next* n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(n->u->mu_) {
          return n->u->file_id_ + n->u->options_.max_unsynced >= n->id ||
                 !n->u->sync_status_.ok();
        },
        &next));
    --waiting_;
    LMDBAPI_RETURN_IF_ERROR(sync_status_);
    reached_ = std::max(reached_, revision_ceiling);
    if (!options_.revision_ceiling || revision_ceiling <= file_ceiling_) {
      return file_id_;
    }
  }
  // The same checkpoint again, with room for this commit.
  absl::MutexLock file(&file_mu_);
  uint64_t id;
  std::string meta_pages;
  {
    absl::MutexLock lock(&mu_);
    id = file_id_;
    meta_pages = file_meta_pages_;
  }
  LMDBAPI_RETURN_IF_ERROR(
      WriteFile(id, meta_pages, revision_ceiling + kCeilingHeadroom));
  return id;
}

absl::Status UnsyncedCommits::BeforeCommit(uint64_t revision_ceiling) {
  if (!active_) LMDBAPI_RETURN_IF_ERROR(Start(revision_ceiling));
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t checkpoint, WaitForRoom(revision_ceiling));
  while (!pinned_.empty() && pinned_.front().id < checkpoint) {
    pinned_.pop_front();  // its pin ends: a later commit is the checkpoint
  }
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_flags(env_->raw(), MDB_NOSYNC, 1),
                              "turn LMDB's sync off");
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::AfterCommit() {
  Pinned committed;
  committed.id = next_id_++;
  LMDBAPI_ASSIGN_OR_RETURN(committed.pin, Txn::BeginRead(env_->raw()));
  LMDBAPI_ASSIGN_OR_RETURN(committed.meta_pages, ReadMetaPages());
  {
    absl::MutexLock lock(&mu_);
    requested_ = committed.id;
    requested_meta_pages_ = committed.meta_pages;
  }
  pinned_.push_back(std::move(committed));
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
  {
    absl::MutexLock file(&file_mu_);
    LMDBAPI_RETURN_IF_ERROR(RemoveCheckpoint(dir_));
    absl::MutexLock lock(&mu_);
    sync_status_ = absl::OkStatus();
    requested_ = synced_ = file_id_ = file_ceiling_ = reached_ = 0;
    requested_meta_pages_.clear();
    file_meta_pages_.clear();
  }
  pinned_.clear();
  active_ = false;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_env_set_flags(env_->raw(), MDB_NOSYNC, 0),
                              "turn LMDB's sync on");
  return absl::OkStatus();
}

absl::Status UnsyncedCommits::WaitForSyncs() {
  absl::MutexLock lock(&mu_);
  ++waiting_;
  mu_.Await(absl::Condition(
      +[](UnsyncedCommits* u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(u->mu_) {
        return u->synced_ == u->requested_;
      },
      this));
  --waiting_;
  return sync_status_;
}

void UnsyncedCommits::SyncAndCheckpoint(uint64_t id,
                                        const std::string& meta_pages) {
  if (fdatasync(fd_) != 0) {
    const int failed = errno;
    absl::MutexLock lock(&mu_);
    if (sync_status_.ok()) {
      sync_status_ = absl::InternalError(
          absl::StrCat("sync ", dir_, "/data.mdb: ", std::strerror(failed)));
    }
    return;
  }
  absl::MutexLock file(&file_mu_);
  uint64_t ceiling;
  {
    absl::MutexLock lock(&mu_);
    if (id <= file_id_) return;
    ceiling = std::max(reached_ + kCeilingHeadroom, file_ceiling_);
  }
  absl::Status written = WriteFile(id, meta_pages, ceiling);
  if (written.ok()) return;
  absl::MutexLock lock(&mu_);
  if (sync_status_.ok()) sync_status_ = written;
}

void UnsyncedCommits::RunSyncs() {
  absl::MutexLock lock(&mu_);
  absl::Time last = absl::InfinitePast();  // the last sync's start
  while (true) {
    mu_.Await(absl::Condition(
        +[](UnsyncedCommits* u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(u->mu_) {
          return u->stop_ || u->synced_ < u->requested_;
        },
        this));
    if (synced_ == requested_) return;  // stopping, nothing asked
    mu_.AwaitWithDeadline(
        absl::Condition(
            +[](UnsyncedCommits* u) ABSL_EXCLUSIVE_LOCKS_REQUIRED(u->mu_) {
              return u->stop_ || u->waiting_ > 0;
            },
            this),
        last + options_.sync_interval);
    last = absl::Now();
    const uint64_t target = requested_;
    const std::string meta_pages = requested_meta_pages_;
    mu_.Unlock();
    SyncAndCheckpoint(target, meta_pages);
    mu_.Lock();
    synced_ = target;
  }
}

}  // namespace lmdbapi::storage
