// The key set of --jwks_file, re-read when the file changes (its
// modification time or size), looked at most once a second, so keys rotate
// without a restart. A file that no longer parses keeps the previous set
// (with a warning in the log) until it is fixed.
#ifndef LMDBAPI_SERVER_ACCESS_JWKS_FILE_H_
#define LMDBAPI_SERVER_ACCESS_JWKS_FILE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/access/jwks.h"

namespace lmdbapi::server::access {

class JwksFile {
 public:
  // The file read now: INVALID_ARGUMENT naming the file (and the key) when
  // it cannot be read or parsed.
  static absl::StatusOr<std::unique_ptr<JwksFile>> Open(std::string path,
                                                        absl::Time now);

  // The current set: re-read first when a second has passed since the last
  // look at `now` and the file changed.
  std::shared_ptr<const Jwks> Current(absl::Time now);

 private:
  struct Stamp {
    std::filesystem::file_time_type modified;
    uintmax_t size = 0;
    bool operator==(const Stamp& o) const {
      return modified == o.modified && size == o.size;
    }
  };
  explicit JwksFile(std::string path) : path_(std::move(path)) {}
  // Reads and parses the file; its stamp in `stamp`.
  absl::StatusOr<std::shared_ptr<const Jwks>> Read(Stamp* stamp) const;

  const std::string path_;
  absl::Mutex mu_;
  std::shared_ptr<const Jwks> keys_ ABSL_GUARDED_BY(mu_);
  Stamp stamp_ ABSL_GUARDED_BY(mu_);
  absl::Time looked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmdbapi::server::access

#endif  // LMDBAPI_SERVER_ACCESS_JWKS_FILE_H_
