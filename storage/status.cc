#include "storage/status.h"

#include <lmdb.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"

namespace lmdbapi::storage {
namespace {
// The payload WithReason sets, so no caller depends on message text.
constexpr absl::string_view kReasonPayload = "lmdbapi.reason";
// Marks a map-full status the writer may still cure by growing the map (the
// final "at its limit" status has the reason but not this mark).
constexpr absl::string_view kMapFullPayload = "lmdbapi.map_full";
constexpr absl::string_view kLeaderPayload = "lmdbapi.leader";
}  // namespace

absl::Status NotLeaderError(absl::string_view leader) {
  absl::Status status = WithReason(
      absl::FailedPreconditionError(
          leader.empty()
              ? std::string("this replica does not lead its shard and no "
                            "replica leads now (an election is under way); "
                            "nothing was written, retry shortly")
              : absl::StrCat("this replica does not lead its shard; send "
                             "writes to the leader at ",
                             leader, "; nothing was written")),
      kNotLeaderReason);
  status.SetPayload(kLeaderPayload, absl::Cord(leader));
  return status;
}

std::string LeaderOf(const absl::Status& status) {
  auto leader = status.GetPayload(kLeaderPayload);
  return leader.has_value() ? std::string(*leader) : std::string();
}

absl::Status LmdbStatus(int rc, absl::string_view what) {
  if (rc == 0) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", mdb_strerror(rc));
  switch (rc) {
    case MDB_NOTFOUND:
      return absl::NotFoundError(message);
    case MDB_KEYEXIST:
      return absl::AlreadyExistsError(message);
    case MDB_MAP_FULL: {
      absl::Status status =
          WithReason(absl::ResourceExhaustedError(absl::StrCat(
                         message, " (the map reached its size limit)")),
                     kMapFullReason);
      status.SetPayload(kMapFullPayload, absl::Cord("1"));
      return status;
    }
    case ENOSPC:
    case EDQUOT:
      return WithReason(
          absl::ResourceExhaustedError(absl::StrCat(
              message,
              " (the disk is full: nothing of this write was stored; "
              "free space and retry)")),
          kDiskFullReason);
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
  absl::Status at(status.code(), absl::StrCat(where, ": ", status.message()));
  status.ForEachPayload(
      [&at](absl::string_view type_url, const absl::Cord& payload) {
        at.SetPayload(type_url, payload);
      });
  return at;
}

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  auto reason = status.GetPayload(kReasonPayload);
  return reason.has_value() ? std::string(*reason) : std::string();
}

bool IsMapFull(const absl::Status& status) {
  return status.GetPayload(kMapFullPayload).has_value();
}

}  // namespace lmdbapi::storage
