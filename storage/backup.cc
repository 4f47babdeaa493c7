#include "storage/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "storage/durable_directory.h"
#include "storage/lmdb.h"
#include "storage/read_only_env.h"
#include "storage/status.h"

namespace lmdbapi::storage {
namespace {

namespace fs = std::filesystem;

constexpr char kDataFile[] = "data.mdb";

// A file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The current errno as a status (mdb_strerror names system errors too).
absl::Status ErrnoStatus(absl::string_view what) {
  return LmdbStatus(errno, what);
}

// Reads what the finished copy in `dir` holds.
absl::StatusOr<CopyReport> Report(const std::string& dir) {
  CopyReport report;
  report.path = dir;
  std::error_code error;
  report.bytes = fs::file_size(fs::path(dir) / kDataFile, error);
  ReadOnlyEnv env;
  LMDBAPI_RETURN_IF_ERROR(env.Open(dir, 1024));
  MDB_txn* raw = nullptr;
  LMDBAPI_RETURN_IF_MDB_ERROR(
      mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &raw), "read the copy");
  Txn txn(raw);
  MDB_dbi main;
  LMDBAPI_RETURN_IF_MDB_ERROR(mdb_dbi_open(txn.get(), nullptr, 0, &main),
                              "read the copy");
  LMDBAPI_ASSIGN_OR_RETURN(Cursor names, Cursor::Open(txn.get(), main));
  // The main database's keys are the names of the named databases: tables,
  // their indexes ("<table>.idx.<name>") and lmdbapi's meta ("__lmdbapi_*").
  for (absl::StatusOr<bool> more = names.First(); more.ok() && *more;
       more = names.Next()) {
    std::string name(names.key());
    if (absl::StartsWith(name, "__") || absl::StrContains(name, ".idx.")) {
      continue;
    }
    MDB_dbi dbi;
    MDB_stat stat;
    if (mdb_dbi_open(txn.get(), name.c_str(), 0, &dbi) != 0) continue;
    LMDBAPI_RETURN_IF_MDB_ERROR(mdb_stat(txn.get(), dbi, &stat),
                                absl::StrCat("count ", name));
    report.records[name] = stat.ms_entries;
  }
  return report;
}

// Writes the copy; `adopt_growth`: another process may grow the map, so a
// MDB_MAP_RESIZED is answered by adopting the new size and trying again.
absl::StatusOr<CopyReport> WriteCopy(MDB_env* env, const std::string& dir,
                                     bool adopt_growth) {
  if (absl::Status created = CreateDirectoriesDurably(dir); !created.ok()) {
    return absl::FailedPreconditionError(created.message());
  }
  fs::path final_path = fs::path(dir) / kDataFile;
  if (fs::exists(final_path)) {
    return absl::AlreadyExistsError(
        absl::StrCat("'", dir,
                     "' already holds a database (data.mdb); copy into a new "
                     "or empty directory"));
  }
  std::string partial = final_path.string() + ".partial";
  std::string what = absl::StrCat("copy into '", dir, "'");
  {
    Fd out(
        open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) return ErrnoStatus(what);
    int rc = mdb_env_copyfd2(env, out.get(), MDB_CP_COMPACT);
    if (rc == MDB_MAP_RESIZED && adopt_growth) {
      rc = mdb_env_set_mapsize(env, 0);
      if (rc == 0 && ftruncate(out.get(), 0) == 0 &&
          lseek(out.get(), 0, SEEK_SET) == 0) {
        rc = mdb_env_copyfd2(env, out.get(), MDB_CP_COMPACT);
      }
    }
    if (rc == 0 && fsync(out.get()) != 0) rc = errno;
    if (rc != 0) {
      unlink(partial.c_str());
      return LmdbStatus(rc, what);
    }
  }
  if (std::rename(partial.c_str(), final_path.c_str()) != 0) {
    absl::Status status = ErrnoStatus(what);
    unlink(partial.c_str());
    return status;
  }
  LMDBAPI_RETURN_IF_ERROR(SyncDirectory(dir));
  return Report(dir);
}

}  // namespace

absl::StatusOr<CopyReport> CopyEnvironment(MDB_env* env,
                                           const std::string& dir) {
  return WriteCopy(env, dir, /*adopt_growth=*/false);
}

absl::StatusOr<CopyReport> CopyDirectory(const std::string& from,
                                         const std::string& to) {
  if (!fs::exists(fs::path(from) / kDataFile)) {
    return absl::NotFoundError(
        absl::StrCat("'", from, "' holds no database (data.mdb)"));
  }
  std::error_code error;
  if (fs::equivalent(from, to, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot copy '", from, "' onto itself"));
  }
  ReadOnlyEnv env;
  LMDBAPI_RETURN_IF_ERROR(env.Open(from, 1));
  return WriteCopy(env.get(), to, /*adopt_growth=*/true);
}

}  // namespace lmdbapi::storage
