// The one place where LMDB return codes become absl::Status values.
#ifndef LMDBAPI_STORAGE_STATUS_H_
#define LMDBAPI_STORAGE_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lmdbapi::storage {

// Maps an LMDB (or errno) return code to a status. `what` names the operation
// so the message says what failed, e.g. "put permits: MDB_MAP_FULL ...".
// MDB_NOTFOUND -> NOT_FOUND, MDB_MAP_FULL / ENOSPC -> RESOURCE_EXHAUSTED,
// MDB_KEYEXIST -> ALREADY_EXISTS, EINVAL / MDB_BAD_VALSIZE -> INVALID_ARGUMENT,
// everything else -> INTERNAL.
absl::Status LmdbStatus(int rc, absl::string_view what);

// `status` (same code and payloads) with `where` and ": " in front of its
// message, e.g. At("writes[2]", s): where in a list of writes it failed.
absl::Status At(absl::string_view where, const absl::Status& status);

// Why a status failed, for clients that act on it rather than read it: an
// upper-case word such as "MAP_FULL" or "DISK_FULL", carried as a payload
// (the gRPC answer's google.rpc.ErrorInfo reason, server/table/grpc_status.h).
absl::Status WithReason(absl::Status status, absl::string_view reason);
// The reason set by WithReason, or "" when none was.
std::string ReasonOf(const absl::Status& status);

// The reasons LmdbStatus sets on RESOURCE_EXHAUSTED: the map reached its size
// limit, or the disk (or quota) is full. Neither passes by waiting.
inline constexpr absl::string_view kMapFullReason = "MAP_FULL";
inline constexpr absl::string_view kDiskFullReason = "DISK_FULL";

// A write sent to a follower of a replicated shard: FAILED_PRECONDITION,
// reason NOT_LEADER, naming the leader's client address ("" when no replica
// leads now), which LeaderOf returns (the gRPC answer's ErrorInfo metadata
// "leader").
inline constexpr absl::string_view kNotLeaderReason = "NOT_LEADER";
absl::Status NotLeaderError(absl::string_view leader);
std::string LeaderOf(const absl::Status& status);

// True when `status` came from a full map (the writer grows the map on it).
bool IsMapFull(const absl::Status& status);

// Evaluates an LMDB call and returns its mapped status from the enclosing
// function when it fails.
#define LMDBAPI_RETURN_IF_MDB_ERROR(call, what)                \
  do {                                                         \
    if (int lmdbapi_rc = (call); lmdbapi_rc != 0)              \
      return ::lmdbapi::storage::LmdbStatus(lmdbapi_rc, what); \
  } while (0)

}  // namespace lmdbapi::storage

#endif  // LMDBAPI_STORAGE_STATUS_H_
