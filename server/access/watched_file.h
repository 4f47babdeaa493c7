// A configuration file (--jwks_file, --auth_policy) parsed once at start and
// re-read when it changes (its modification time or size), looked at at most
// once a second, so keys and roles change without a restart (a Kubernetes
// ConfigMap update, an editor's save). A file that no longer reads or parses
// keeps the previous contents, with one warning in the log, until it is
// fixed.
#ifndef LMDBAPI_SERVER_ACCESS_WATCHED_FILE_H_
#define LMDBAPI_SERVER_ACCESS_WATCHED_FILE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lmdbapi::server::access {

// What tells a file's versions apart.
struct FileStamp {
  std::filesystem::file_time_type modified;
  uintmax_t size = 0;
  bool operator==(const FileStamp& o) const {
    return modified == o.modified && size == o.size;
  }
};

// The stamp of `path`; false when it cannot be looked at.
bool StampOf(const std::string& path, FileStamp* stamp);
// The text of `path` and its stamp; INVALID_ARGUMENT "FLAG PATH: cannot read
// it".
absl::StatusOr<std::string> ReadStamped(const std::string& flag,
                                        const std::string& path,
                                        FileStamp* stamp);
// Logs that `flag`'s file was re-read, or why it was not.
void LogReread(const std::string& flag, const std::string& path,
               const absl::Status& status);

template <typename T>
class WatchedFile {
 public:
  // The file's text into a T; errors name what is wrong inside the file.
  using Parser = std::function<absl::StatusOr<T>(const std::string& text)>;

  // The file (given by `flag`, for messages) read now: INVALID_ARGUMENT
  // "FLAG PATH: ..." when it cannot be read or parsed.
  static absl::StatusOr<std::unique_ptr<WatchedFile>> Open(std::string flag,
                                                           std::string path,
                                                           Parser parse,
                                                           absl::Time now) {
    std::unique_ptr<WatchedFile> file(
        new WatchedFile(std::move(flag), std::move(path), std::move(parse)));
    absl::MutexLock lock(&file->mu_);
    absl::StatusOr<std::shared_ptr<const T>> value = file->Read(&file->stamp_);
    if (!value.ok()) return value.status();
    file->value_ = *std::move(value);
    file->looked_ = now;
    return file;
  }

  // The current contents: re-read first when a second has passed since the
  // last look at `now` and the file changed.
  std::shared_ptr<const T> Current(absl::Time now) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (now - looked_ < absl::Seconds(1)) return value_;
    }
    absl::MutexLock lock(&mu_);
    if (now - looked_ < absl::Seconds(1)) return value_;
    looked_ = now;
    FileStamp stamp;
    if (!StampOf(path_, &stamp) || stamp == stamp_) return value_;
    absl::StatusOr<std::shared_ptr<const T>> value = Read(&stamp);
    stamp_ = stamp;  // a bad file is reported once, not every second
    LogReread(flag_, path_, value.status());
    if (value.ok()) value_ = *std::move(value);
    return value_;
  }

 private:
  WatchedFile(std::string flag, std::string path, Parser parse)
      : flag_(std::move(flag)),
        path_(std::move(path)),
        parse_(std::move(parse)) {}

  absl::StatusOr<std::shared_ptr<const T>> Read(FileStamp* stamp) const {
    absl::StatusOr<std::string> text = ReadStamped(flag_, path_, stamp);
    if (!text.ok()) return text.status();
    absl::StatusOr<T> value = parse_(*text);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag_, " ", path_, ": ", value.status().message()));
    }
    return std::make_shared<const T>(*std::move(value));
  }

  const std::string flag_;
  const std::string path_;
  const Parser parse_;
  absl::Mutex mu_;
  std::shared_ptr<const T> value_ ABSL_GUARDED_BY(mu_);
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time looked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_WATCHED_FILE_H_
