// Reading a watched file and its stamp, and logging its re-reads.
#include "server/access/watched_file.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "server/observability/log.h"

namespace lmdbapi::server::access {

bool StampOf(const std::string& path, FileStamp* stamp) {
  std::error_code error;
  stamp->modified = std::filesystem::last_write_time(path, error);
  if (!error) stamp->size = std::filesystem::file_size(path, error);
  return !error;
}

absl::StatusOr<std::string> ReadStamped(const std::string& flag,
                                        const std::string& path,
                                        FileStamp* stamp) {
  std::ifstream in(path, std::ios::binary);
  if (!StampOf(path, stamp) || !in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": cannot read it"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void LogReread(const std::string& flag, const std::string& path,
               const absl::Status& status) {
  if (status.ok()) {
    Log(LogLevel::kInfo, "%s %s: re-read", flag, path);
  } else {
    Log(LogLevel::kWarning, "%s; keeping what it said before",
        status.message());
  }
}

}  // namespace lmdbapi::server::access
