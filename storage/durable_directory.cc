#include "storage/durable_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace lmdbapi::storage {

namespace fs = std::filesystem;

absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int error = 0;
  if (fd < 0 || fsync(fd) != 0) error = errno;
  if (fd >= 0) close(fd);
  if (error == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("sync the directory '", dir, "': ", std::strerror(error)));
}

absl::Status CreateDirectoriesDurably(const std::string& path) {
  fs::path target = fs::absolute(path).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  std::vector<fs::path> missing;  // deepest first
  for (fs::path p = target; !fs::exists(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::error_code error;
  fs::create_directories(target, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("create the directory '", path, "': ", error.message()));
  }
  for (auto p = missing.rbegin(); p != missing.rend(); ++p) {
    LMDBAPI_RETURN_IF_ERROR(SyncDirectory(p->parent_path().string()));
  }
  return absl::OkStatus();
}

}  // namespace lmdbapi::storage
