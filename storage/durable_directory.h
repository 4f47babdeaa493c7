#ifndef LMDBAPI_STORAGE_DURABLE_DIRECTORY_H_
#define LMDBAPI_STORAGE_DURABLE_DIRECTORY_H_

// Directory entries that survive a power cut. An fsync of a file makes its
// data durable, not its name: a created, renamed or removed entry is durable
// only once the directory holding it has been fsync'd (POSIX; ext4 and XFS
// often commit it sooner, but nothing promises that, and the power-cut file
// system of tests/power_loss does not). Found by tests/power_loss: a new data
// directory, and a backup in a new directory, vanished with a power cut after
// their writes were acknowledged.

#include <string>

#include "absl/status/status.h"

namespace lmdbapi::storage {

// fsync(2) of the directory `dir`: the entries made in it so far are durable.
absl::Status SyncDirectory(const std::string& dir);

// Creates `path` and its missing parents (like mkdir -p), syncing the parent
// of each directory it creates, so that `path` survives a power cut.
absl::Status CreateDirectoriesDurably(const std::string& path);

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_DURABLE_DIRECTORY_H_
