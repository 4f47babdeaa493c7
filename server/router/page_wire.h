// A list call's page on the wire, as the fan-out router reads it from a
// shard and writes the merged page back (model/request_layout.h: records,
// then next_page_token, then plan). Records stay serialized: the router
// passes the shards' bytes on and parses a record whole only to trim it.
#ifndef LMDBAPI_SERVER_ROUTER_PAGE_WIRE_H_
#define LMDBAPI_SERVER_ROUTER_PAGE_WIRE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "server/router/fanout_page.h"

namespace lmdbapi::server {

// A shard's serialized page: its records' bytes and its next token, read
// without parsing the records. INTERNAL when the page is not well-formed.
absl::StatusOr<ShardPage> ParseShardPage(absl::string_view bytes);

// The merged page's bytes, as the page message serializes (fields in number
// order): its records as the shards sent them but for the fields `mask`
// leaves out, then its token and `plan`. A record the mask must trim is
// parsed whole first; one that does not parse is INTERNAL naming its type,
// rather than served half-read.
absl::StatusOr<std::string> SerializePage(
    const RecordOrder& order, const google::protobuf::FieldMask& mask,
    const MergedPage& merged, absl::string_view plan);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_ROUTER_PAGE_WIRE_H_
