// What a write request asks besides its record: the fields a Patch changes
// (its update_mask) and the revision an Update, Patch or Delete expects.
#ifndef LMDBAPI_SERVER_TABLE_WRITE_CONDITIONS_H_
#define LMDBAPI_SERVER_TABLE_WRITE_CONDITIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "storage/schema.h"

namespace lmdbapi::server {

// The storage paths of a Patch request's update_mask (its FieldMask field),
// for `record` of `table`. Each path segment is a field name; the
// CamelCase names grpc-gateway 1.6.4 sends ("CountyStatus") and JSON names
// ("countyStatus") are taken too. The primary key and the server-maintained
// fields are left out. An empty mask means every field `record` sets.
// INVALID_ARGUMENT naming update_mask for a path the record does not have,
// or when nothing is left to change.
absl::StatusOr<std::vector<std::string>> PatchPaths(
    const google::protobuf::Message& request,
    const google::protobuf::Message& record, const storage::TableSchema& table);

// A request's revision field `field` (0 means any): INVALID_ARGUMENT naming
// it when negative.
absl::StatusOr<uint64_t> RevisionField(int64_t value, absl::string_view field);

// The revision a write expects: `expected_revision` when set, else the
// call's If-Match header ("\"7\"", or "*" for any), else 0 (any).
// INVALID_ARGUMENT naming the field or the header when malformed.
absl::StatusOr<uint64_t> ExpectedRevision(
    const grpc::ServerContextBase& context, int64_t expected_revision);

// The ETag of a revision: "\"7\"".
std::string Etag(uint64_t revision);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_WRITE_CONDITIONS_H_
