// Calls of any gRPC method by name, with messages of any descriptor
// (dynamic messages of a reflection pool): the channel (TLS or plaintext),
// the bearer token and deadline every call carries, and one generic call
// that sends requests and reads responses as bytes (grpc::GenericStub).
#ifndef LMDBAPI_CLI_DYNAMIC_CALL_H_
#define LMDBAPI_CLI_DYNAMIC_CALL_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/remote_backend.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace lmdbapi::cli {

// A channel to one server and what each call on it carries.
class Connection {
 public:
  // INVALID_ARGUMENT naming the flag for an empty address or a PEM file
  // that cannot be read (--ca_file, --cert_file, --key_file).
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const RemoteOptions& options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const std::string& address() const { return address_; }
  // A context with the token and, when `bounded`, the deadline.
  std::unique_ptr<grpc::ClientContext> NewContext(bool bounded) const;

 private:
  Connection(std::shared_ptr<grpc::Channel> channel, const RemoteOptions& o)
      : channel_(std::move(channel)),
        address_(o.address),
        token_(o.token),
        timeout_(o.timeout) {}
  std::shared_ptr<grpc::Channel> channel_;
  std::string address_;
  std::string token_;
  absl::Duration timeout_;
};

// gRPC's status as absl's, "METHOD: message" when `method` is not empty.
absl::Status FromGrpc(const grpc::Status& status, const std::string& method);

// Gives the next request (returns false when there are no more) ...
using RequestSource =
    absl::FunctionRef<absl::StatusOr<bool>(google::protobuf::Message*)>;
// ... and takes each response (an error cancels the call and is returned).
using ResponseSink =
    absl::FunctionRef<absl::Status(const google::protobuf::Message&)>;

// Calls `method` (any kind: unary, client, server or bidirectional
// streaming) on `connection`: sends every request `next` gives, half-closes,
// then hands each response, parsed as a `response_type`, to `each`. Unary
// calls are bounded by the connection's timeout, streams are not. The
// server's status, with the method's name, is returned.
absl::Status CallMethod(const Connection& connection,
                        const google::protobuf::MethodDescriptor& method,
                        const google::protobuf::Message& prototype_request,
                        const google::protobuf::Message& prototype_response,
                        RequestSource next, ResponseSink each);

// The same with requests and responses as serialized bytes (the bulk
// paths, which never parse their records): `next` sets the next request's
// bytes, `each` gets each response's.
using SerializedRequestSource =
    absl::FunctionRef<absl::StatusOr<bool>(std::string*)>;
using SerializedResponseSink =
    absl::FunctionRef<absl::Status(absl::string_view)>;
absl::Status CallSerialized(const Connection& connection,
                            const google::protobuf::MethodDescriptor& method,
                            SerializedRequestSource next,
                            SerializedResponseSink each);

// The same for the common cases: one request, one response ...
absl::Status CallUnary(const Connection& connection,
                       const google::protobuf::MethodDescriptor& method,
                       const google::protobuf::Message& request,
                       google::protobuf::Message* response);
// ... and one request, a stream of responses.
absl::Status CallServerStreaming(
    const Connection& connection,
    const google::protobuf::MethodDescriptor& method,
    const google::protobuf::Message& request,
    const google::protobuf::Message& prototype_response, ResponseSink each);

// A message's JSON (protobuf's mapping: lowerCamelCase names, as grpcurl
// and `lmdbapi get` print; one line)
// and the other way (INVALID_ARGUMENT naming the field that does not fit).
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);
absl::Status FromJson(const std::string& json,
                      google::protobuf::Message* message);

}  // namespace lmdbapi::cli

#endif  // LMDBAPI_CLI_DYNAMIC_CALL_H_
