// Reading --jwks_file, and re-reading it when it changes.
#include "server/access/jwks_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "server/observability/log.h"

namespace lmdbapi::server::access {

absl::StatusOr<std::shared_ptr<const Jwks>> JwksFile::Read(Stamp* stamp) const {
  std::error_code error;
  stamp->modified = std::filesystem::last_write_time(path_, error);
  if (!error) stamp->size = std::filesystem::file_size(path_, error);
  std::ifstream in(path_, std::ios::binary);
  if (error || !in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jwks_file ", path_, ": cannot read it"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Jwks> keys = Jwks::Parse(text.str());
  if (!keys.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jwks_file ", path_, ": ", keys.status().message()));
  }
  if (keys->size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--jwks_file ", path_, ": no RS256 or ES256 signing key in it"));
  }
  return std::make_shared<const Jwks>(*std::move(keys));
}

absl::StatusOr<std::unique_ptr<JwksFile>> JwksFile::Open(std::string path,
                                                         absl::Time now) {
  std::unique_ptr<JwksFile> file(new JwksFile(std::move(path)));
  absl::MutexLock lock(&file->mu_);
  absl::StatusOr<std::shared_ptr<const Jwks>> keys = file->Read(&file->stamp_);
  if (!keys.ok()) return keys.status();
  file->keys_ = *std::move(keys);
  file->looked_ = now;
  return file;
}

std::shared_ptr<const Jwks> JwksFile::Current(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now - looked_ < absl::Seconds(1)) return keys_;
  looked_ = now;
  Stamp stamp;
  std::error_code error;
  stamp.modified = std::filesystem::last_write_time(path_, error);
  if (!error) stamp.size = std::filesystem::file_size(path_, error);
  if (error || stamp == stamp_) return keys_;
  absl::StatusOr<std::shared_ptr<const Jwks>> keys = Read(&stamp);
  stamp_ = stamp;  // a bad file is reported once, not every second
  if (!keys.ok()) {
    Log(LogLevel::kWarning, "%s; keeping the previous keys",
        keys.status().message());
    return keys_;
  }
  keys_ = *std::move(keys);
  Log(LogLevel::kInfo, "--jwks_file %s: re-read, %d keys", path_,
      keys_->size());
  return keys_;
}

}  // namespace lmdbapi::server::access
