// A client of gRPC server reflection (grpc.reflection.v1alpha, which every
// lmdbapi server serves): the services a server serves, and the files that
// define them, with their dependencies, in a descriptor pool of its own, so
// that a client needs no .proto to call them. The pool's underlay is this
// program's generated pool: files this program was built with (the
// well-known types, google.api, lmdbapi's options and admin service) come
// from there, and lmdbapi's custom options on the server's descriptors are
// read with GetExtension(lmdbapi::table) and GetExtension(lmdbapi::field).
#ifndef LMDBAPI_CLI_REFLECTION_CLIENT_H_
#define LMDBAPI_CLI_REFLECTION_CLIENT_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/dynamic_call.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "grpc_reflection_v1alpha/reflection.grpc.pb.h"

namespace lmdbapi::cli {

class ReflectionClient {
 public:
  explicit ReflectionClient(const Connection* connection);

  // The full names of the services the server serves, as it lists them.
  absl::StatusOr<std::vector<std::string>> ListServices();
  // Loads the file that defines `symbol` (a service, method, message or
  // enum's full name) and its dependencies into pool(); NOT_FOUND when the
  // server knows no such symbol.
  absl::Status LoadSymbol(const std::string& symbol);

  const google::protobuf::DescriptorPool* pool() const { return &pool_; }
  // Messages of the pool's types.
  google::protobuf::MessageFactory* factory() { return &factory_; }
  // The files loaded from the server (not those from the underlay).
  std::vector<const google::protobuf::FileDescriptor*> files() const;

 private:
  absl::StatusOr<grpc::reflection::v1alpha::ServerReflectionResponse> Ask(
      const grpc::reflection::v1alpha::ServerReflectionRequest& request);
  // Builds `name` after its dependencies, from protos_ or the underlay.
  absl::Status Build(const std::string& name, std::set<std::string>* visiting);

  const Connection* connection_;
  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
  std::map<std::string, google::protobuf::FileDescriptorProto> protos_;
  std::vector<std::string> built_;
};

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_REFLECTION_CLIENT_H_
