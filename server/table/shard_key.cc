#include "server/table/shard_key.h"

#include "absl/strings/str_cat.h"

namespace lmdbapi::server {

const google::protobuf::FieldDescriptor* ShardKeyField(
    const google::protobuf::Descriptor* record, const std::string& name) {
  if (name.empty()) return nullptr;
  const google::protobuf::FieldDescriptor* field =
      record->FindFieldByName(name);
  if (field == nullptr || field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return nullptr;
  }
  return field;
}

absl::Status CheckShardKeyFlag(
    const std::string& file,
    const std::vector<const google::protobuf::Descriptor*>& records,
    const std::string& name) {
  if (name.empty()) return absl::OkStatus();
  for (const google::protobuf::Descriptor* record : records) {
    if (ShardKeyField(record, name) != nullptr) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--shard_key: no table of ", file, " has a string field '", name, "'"));
}

absl::Status CheckShardKey(const grpc::ServerContextBase& context,
                           const google::protobuf::FieldDescriptor* field,
                           const google::protobuf::Message& record) {
  if (field == nullptr) return absl::OkStatus();
  auto header = context.client_metadata().find(kShardKeyHeader);
  if (header == context.client_metadata().end()) return absl::OkStatus();
  absl::string_view key(header->second.data(), header->second.size());
  const std::string& value = record.GetReflection()->GetString(record, field);
  if (value == key) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field->name(), ": '", value, "' is not the request's ", kShardKeyHeader,
      " '", key, "': the router sends a write to the shard of its key, so the ",
      field->name(), " must be the key"));
}

}  // namespace lmdbapi::server
