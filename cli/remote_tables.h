// The tables of a server, found by reflection, and the fields of their
// requests and responses, found by name and type (so that the client
// follows the emitted .proto without knowing it: see
// tests/codegen/golden/permits_service.proto).
//
// A table service is one with Get, Insert and Filter methods; its record
// is Get's response type; the collection, primary key and parent come from
// lmdbapi's options on the record message (proto/lmdbapi/options.proto).
#ifndef LMDBAPI_CLI_REMOTE_TABLES_H_
#define LMDBAPI_CLI_REMOTE_TABLES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/backend.h"
#include "cli/reflection_client.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace lmdbapi::cli {

// The tables among `services` (loading each into the client's pool), parents
// before their children, otherwise in the server's order.
absl::StatusOr<std::vector<TableInfo>> FindRemoteTables(
    ReflectionClient& reflection, const std::vector<std::string>& services);

// The method `name` of the table's service, or UNIMPLEMENTED saying the
// server has none (an older server without Export or Import).
absl::StatusOr<const google::protobuf::MethodDescriptor*> TableMethod(
    const google::protobuf::DescriptorPool& pool, const TableInfo& table,
    const std::string& name);

// The field of `message` holding `type` (repeated or not), or nullptr.
const google::protobuf::FieldDescriptor* FieldOfType(
    const google::protobuf::Descriptor* message,
    const google::protobuf::Descriptor* type, bool repeated);

// Sets the scalar field `name` of `message` when it has one of a fitting
// type (string; bool; an integer from `number`); false when it has none.
bool SetString(google::protobuf::Message* message, const std::string& name,
               const std::string& value);
bool SetBool(google::protobuf::Message* message, const std::string& name,
             bool value);
bool SetInteger(google::protobuf::Message* message, const std::string& name,
                int64_t number);
// The integer or string field `name` of `message` (0 or "" without one).
uint64_t GetInteger(const google::protobuf::Message& message,
                    const std::string& name);
std::string GetString(const google::protobuf::Message& message,
                      const std::string& name);

// `from` into `to`, which may be of another pool's descriptor of the same
// type (then through its bytes).
void Assign(const google::protobuf::Message& from,
            google::protobuf::Message* to);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REMOTE_TABLES_H_
