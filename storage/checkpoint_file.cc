#include "storage/checkpoint_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "storage/coding.h"
#include "storage/durable_directory.h"

namespace lmdbapi::storage {
namespace {

constexpr absl::string_view kMagic = "lmdbapi checkpoint 1\n";

std::string PathIn(const std::string& dir, absl::string_view name) {
  return (std::filesystem::path(dir) / std::string(name)).string();
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " '", path, "': ", std::strerror(errno)));
}

// FNV-1a: enough to tell a file this code wrote whole from anything else.
uint64_t Checksum(absl::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

absl::Status WriteAll(int fd, absl::string_view bytes, off_t offset,
                      const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("write", path);
    bytes.remove_prefix(n);
    offset += n;
  }
  return absl::OkStatus();
}

// `bytes` as `dir`/`name`, replacing it at once and durably.
absl::Status ReplaceFile(const std::string& dir, absl::string_view name,
                         absl::string_view bytes) {
  const std::string path = PathIn(dir, name);
  const std::string temporary = path + ".new";
  int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("create", temporary);
  absl::Status status = WriteAll(fd, bytes, 0, temporary);
  if (status.ok() && fdatasync(fd) != 0) status = ErrnoError("sync", temporary);
  close(fd);
  if (status.ok() && rename(temporary.c_str(), path.c_str()) != 0) {
    status = ErrnoError("rename", temporary);
  }
  LMDBAPI_RETURN_IF_ERROR(status);
  return SyncDirectory(dir);
}

// Removes `dir`/`name`, if there, durably.
absl::Status RemoveFile(const std::string& dir, absl::string_view name) {
  const std::string path = PathIn(dir, name);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("remove", path);
  }
  return SyncDirectory(dir);
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  std::string bytes;
  char buffer[8192];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError("read", path);
      close(fd);
      return status;
    }
    if (n == 0) break;
    bytes.append(buffer, n);
  }
  close(fd);
  return bytes;
}

absl::StatusOr<Checkpoint> Decode(absl::string_view bytes,
                                  const std::string& path) {
  absl::Status bad = absl::DataLossError(absl::StrCat(
      "checkpoint file '", path,
      "' is not one this program wrote whole; data.mdb cannot be rolled back "
      "to it (restore the directory from a backup)"));
  if (bytes.size() < kMagic.size() + 24 || !absl::StartsWith(bytes, kMagic)) {
    return bad;
  }
  absl::string_view body = bytes.substr(0, bytes.size() - 8);
  if (DecodeFixed64(bytes.data() + body.size()) != Checksum(body)) return bad;
  Checkpoint checkpoint;
  const char* p = body.data() + kMagic.size();
  checkpoint.revision_ceiling = DecodeFixed64(p);
  const uint64_t length = DecodeFixed64(p + 8);
  if (length != body.size() - kMagic.size() - 16 || length == 0) return bad;
  checkpoint.meta_pages.assign(p + 16, length);
  return checkpoint;
}

}  // namespace

absl::Status WriteCheckpoint(const std::string& dir,
                             const Checkpoint& checkpoint) {
  std::string bytes(kMagic);
  PutFixed64(checkpoint.revision_ceiling, &bytes);
  PutFixed64(checkpoint.meta_pages.size(), &bytes);
  bytes += checkpoint.meta_pages;
  PutFixed64(Checksum(bytes), &bytes);
  return ReplaceFile(dir, kCheckpointFile, bytes);
}

absl::Status RemoveCheckpoint(const std::string& dir) {
  return RemoveFile(dir, kCheckpointFile);
}

bool HasCheckpoint(const std::string& dir) {
  std::error_code error;
  return std::filesystem::exists(PathIn(dir, kCheckpointFile), error);
}

absl::StatusOr<bool> RollBackToCheckpoint(const std::string& dir) {
  if (!HasCheckpoint(dir)) return false;
  const std::string path = PathIn(dir, kCheckpointFile);
  LMDBAPI_ASSIGN_OR_RETURN(std::string bytes, ReadWhole(path));
  LMDBAPI_ASSIGN_OR_RETURN(Checkpoint checkpoint, Decode(bytes, path));
  const std::string data = PathIn(dir, "data.mdb");
  int fd = open(data.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", data);
  absl::Status status = WriteAll(fd, checkpoint.meta_pages, 0, data);
  if (status.ok() && fdatasync(fd) != 0) status = ErrnoError("sync", data);
  close(fd);
  LMDBAPI_RETURN_IF_ERROR(status);
  LMDBAPI_ASSIGN_OR_RETURN(uint64_t floor, ReadRevisionFloor(dir));
  if (checkpoint.revision_ceiling > floor) {
    LMDBAPI_RETURN_IF_ERROR(
        ReplaceFile(dir, kRevisionFloorFile,
                    absl::StrCat(checkpoint.revision_ceiling, "\n")));
  }
  LMDBAPI_RETURN_IF_ERROR(RemoveCheckpoint(dir));
  return true;
}

absl::StatusOr<uint64_t> ReadRevisionFloor(const std::string& dir) {
  const std::string path = PathIn(dir, kRevisionFloorFile);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return 0;
  LMDBAPI_ASSIGN_OR_RETURN(std::string text, ReadWhole(path));
  uint64_t floor = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &floor)) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' holds no revision: '", text, "'"));
  }
  return floor;
}

absl::Status RemoveRevisionFloor(const std::string& dir) {
  return RemoveFile(dir, kRevisionFloorFile);
}

}  // namespace lmdbapi::storage
