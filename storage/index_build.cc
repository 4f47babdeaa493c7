// Online index builds as the Database offers them (storage/index_build.h);
// the builder itself is storage/index_builder.cc.
#include "storage/index_build.h"

#include "absl/status/status.h"
#include "storage/database.h"

namespace lmdbapi::storage {

const char* IndexStateName(IndexState state) {
  switch (state) {
    case IndexState::kReady:
      return "ready";
    case IndexState::kBuilding:
      return "building";
    case IndexState::kFailed:
      return "failed";
  }
  return "ready";
}

std::vector<IndexBuildProgress> Database::IndexBuilds() const {
  return builder_->Progress();
}

absl::StatusOr<std::vector<std::string>> Database::Rebuild(
    absl::string_view table, absl::string_view index) {
  return builder_->Rebuild(table, index);
}

absl::Status Database::WaitForIndexBuilds() { return builder_->Wait(); }

}  // namespace lmdbapi::storage
