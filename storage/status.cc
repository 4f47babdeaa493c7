#include "storage/status.h"

#include <lmdb.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace lmdbapi::storage {
namespace {
// Marks map-full statuses so IsMapFull does not depend on message text.
constexpr absl::string_view kMapFullPayload = "lmdbapi.map_full";
}  // namespace

absl::Status LmdbStatus(int rc, absl::string_view what) {
  if (rc == 0) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", mdb_strerror(rc));
  switch (rc) {
    case MDB_NOTFOUND:
      return absl::NotFoundError(message);
    case MDB_KEYEXIST:
      return absl::AlreadyExistsError(message);
    case MDB_MAP_FULL: {
      absl::Status status = absl::ResourceExhaustedError(
          absl::StrCat(message, " (the map reached its size limit)"));
      status.SetPayload(kMapFullPayload, absl::Cord("1"));
      return status;
    }
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(
          absl::StrCat(message,
                       " (the disk is full: nothing of this write was stored; "
                       "free space and retry)"));
    case MDB_BAD_VALSIZE:
    case EINVAL:
      return absl::InvalidArgumentError(message);
    case MDB_READERS_FULL:
      return absl::ResourceExhaustedError(
          absl::StrCat(message, " (raise max readers)"));
    case MDB_DBS_FULL:
      return absl::ResourceExhaustedError(
          absl::StrCat(message, " (raise max DBs)"));
    default:
      return absl::InternalError(message);
  }
}

absl::Status At(absl::string_view where, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(where, ": ", status.message()));
}

bool IsMapFull(const absl::Status& status) {
  return status.GetPayload(kMapFullPayload).has_value();
}

}  // namespace lmdbapi::storage
