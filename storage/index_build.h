// Online index builds: the state of one index's build, as Database reports
// it (Database::IndexBuilds) to health, metrics, Admin.Stat and the planner.
//
// An index that is new, whose definition changed, or that Database::Rebuild
// was asked for, is built after the database opens, in chunks of records
// (each chunk one short write transaction through the writer), while reads
// and writes are served; writes maintain it from the moment the build
// starts. Its progress is recorded in __lmdbapi_meta with each chunk, so a
// restart resumes it. Until it is ready the planner does not use it.
#ifndef LMDBAPI_STORAGE_INDEX_BUILD_H_
#define LMDBAPI_STORAGE_INDEX_BUILD_H_

#include <cstdint>
#include <string>

namespace lmdbapi::storage {

enum class IndexState {
  kReady,     // complete: the planner uses it
  kBuilding,  // being built; writes maintain it, queries do not use it
  kFailed,    // the build stopped (e.g. a unique index found a duplicate)
};

// "ready", "building", "failed".
const char* IndexStateName(IndexState state);

struct IndexBuildProgress {
  std::string table;  // "permits"
  std::string index;  // "by_county"
  IndexState state = IndexState::kReady;
  uint64_t built = 0;  // records indexed so far
  uint64_t total = 0;  // records in the table when the build started
  std::string error;   // kFailed: why
};

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_INDEX_BUILD_H_
