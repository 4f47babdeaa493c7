// What generated code hands the server: a schema's tables (for storage) and
// a factory per table for its gRPC service.
#ifndef LMDBAPI_SERVER_SCHEMA_H_
#define LMDBAPI_SERVER_SCHEMA_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "storage/schema.h"

namespace lmdbapi::server {

class TableService;

struct ServiceBinding {
  std::string full_name;   // "lmdbapi.examples.permits.Permits"
  std::string collection;  // the storage table it serves: "permits"
  std::function<std::unique_ptr<grpc::Service>(TableService*)> make;
};

class CommitService;

// The schema-level Transactions service (atomic commits over its tables).
struct TransactionsBinding {
  std::string full_name;  // "lmdbapi.examples.permits.Transactions"
  std::function<std::unique_ptr<grpc::Service>(CommitService*)> make;
};

struct Schema {
  std::string file;  // the schema's .proto, e.g. "proto/examples/permits.proto"
  // Its descriptor: the tables are what its lmdbapi options declare
  // (model::ModelOf, the plugin's own rules).
  const google::protobuf::FileDescriptor* proto = nullptr;
  // Filled from `proto` by DeclareTables.
  std::vector<storage::TableSpec> tables;
  std::vector<ServiceBinding> services;
  TransactionsBinding transactions;
};

// Validates `schema->proto` by the plugin's rules (model::ModelOf) and sets
// `schema->tables` to what it declares.
absl::Status DeclareTables(Schema* schema);

// A new, empty message of `type`, a message compiled into the server (made
// by its generated class).
std::unique_ptr<google::protobuf::Message> NewCompiledMessage(
    const google::protobuf::Descriptor* type);

}  // namespace lmdbapi::server

#endif  // LMDBAPI_SERVER_SCHEMA_H_
