// read_mask (AIP-157) on Get, Filter and Paginate: the record fields a
// client wants back. The server reads whole records and trims them.
#ifndef LMDBAPI_SERVER_TABLE_READ_MASK_H_
#define LMDBAPI_SERVER_TABLE_READ_MASK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace lmdbapi::server {

// The mask of `paths` over `record`: every path must name a field of the
// record (dotted paths reach into nested messages), else INVALID_ARGUMENT
// naming read_mask and the path. No paths: an empty mask (every field).
absl::StatusOr<google::protobuf::FieldMask> ReadMask(
    const google::protobuf::Descriptor* record,
    const std::vector<std::string>& paths);

// Clears every field of `record` outside `mask`; an empty mask keeps all.
void ApplyReadMask(const google::protobuf::FieldMask& mask,
                   google::protobuf::Message* record);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_READ_MASK_H_
