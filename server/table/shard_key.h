// --shard_key=FIELD: a write routed by `x-shard-key` (deploy/README.md) must
// hold the same value in FIELD, so that a record can only be stored on the
// shard its key names. Writes without the header (straight to one server)
// and tables without FIELD (children: they follow their parent) pass.
#ifndef LMDBAPI_SERVER_TABLE_SHARD_KEY_H_
#define LMDBAPI_SERVER_TABLE_SHARD_KEY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"

namespace lmdbapi::server {

inline constexpr char kShardKeyHeader[] = "x-shard-key";

// The string field `name` of `record`, or nullptr when it has none.
const google::protobuf::FieldDescriptor* ShardKeyField(
    const google::protobuf::Descriptor* record, const std::string& name);

// INVALID_ARGUMENT naming --shard_key when `name` is set and no record type
// of `records` (the schema `file`'s tables) has it as a string field.
absl::Status CheckShardKeyFlag(
    const std::string& file,
    const std::vector<const google::protobuf::Descriptor*>& records,
    const std::string& name);

// INVALID_ARGUMENT naming the field when the call's x-shard-key differs from
// the record's `field`; OK when either is absent (`field` null).
absl::Status CheckShardKey(const grpc::ServerContextBase& context,
                           const google::protobuf::FieldDescriptor* field,
                           const google::protobuf::Message& record);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_TABLE_SHARD_KEY_H_
