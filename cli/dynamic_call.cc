#include "cli/dynamic_call.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/record_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/process/peer_channel.h"
#include "server/table/byte_buffer_view.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    const std::string& flag) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read PEM file '", path, "'"));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const RemoteOptions& o) {
  bool tls = o.tls || !o.ca_file.empty() || !o.cert_file.empty() ||
             !o.key_file.empty();
  if (!tls) return grpc::InsecureChannelCredentials();
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--cert_file and --key_file: a client certificate needs both");
  }
  grpc::SslCredentialsOptions ssl;
  auto roots = ReadPem(o.ca_file, "--ca_file");
  auto cert = ReadPem(o.cert_file, "--cert_file");
  auto key = ReadPem(o.key_file, "--key_file");
  for (const auto* read : {&roots, &cert, &key}) {
    if (!read->ok()) return read->status();
  }
  ssl.pem_root_certs = *roots;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  return grpc::SslCredentials(ssl);
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// One call through grpc::GenericStub, each step waited for on its own
// completion queue.
class GenericCall {
 public:
  GenericCall(const Connection& connection, const std::string& path,
              bool bounded)
      : context_(connection.NewContext(bounded)),
        stub_(connection.channel()),
        call_(stub_.PrepareCall(context_.get(), path, &queue_)) {}
  ~GenericCall() {
    queue_.Shutdown();
    void* tag;
    bool ok;
    while (queue_.Next(&tag, &ok)) {
    }
  }

  bool Start() {
    call_->StartCall(this);
    return Wait();
  }
  bool Write(const std::string& bytes) {
    call_->Write(ToBuffer(bytes), this);
    return Wait();
  }
  bool WritesDone() {
    call_->WritesDone(this);
    return Wait();
  }
  bool Read(grpc::ByteBuffer* buffer) {
    call_->Read(buffer, this);
    return Wait();
  }
  void Cancel() { context_->TryCancel(); }
  grpc::Status Finish() {
    grpc::Status status;
    call_->Finish(&status, this);
    Wait();
    return status;
  }

 private:
  bool Wait() {
    void* tag;
    bool ok = false;
    return queue_.Next(&tag, &ok) && ok;
  }

  std::unique_ptr<grpc::ClientContext> context_;
  grpc::CompletionQueue queue_;
  grpc::GenericStub stub_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
};

// Sends what `next` gives; false when the stream broke (its status tells
// why) or `error` was set.
bool SendAll(GenericCall& call, SerializedRequestSource next,
             absl::Status* error) {
  std::string request;
  while (true) {
    request.clear();
    absl::StatusOr<bool> more = next(&request);
    if (!more.ok()) {
      *error = more.status();
      return false;
    }
    if (!*more) return call.WritesDone();
    if (!call.Write(request)) return false;
  }
}

void ReadAll(GenericCall& call, SerializedResponseSink each,
             absl::Status* error) {
  grpc::ByteBuffer buffer;
  server::ByteBufferView view;
  while (call.Read(&buffer)) {
    if (!view.Read(buffer)) {
      *error = absl::InternalError("a response could not be read");
    } else {
      *error = each(view.bytes());
    }
    if (!error->ok()) return;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const RemoteOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("--server: the server's host:port");
  }
  auto credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  auto channel = server::PeerChannel(options.address, *credentials, -1);
  return std::unique_ptr<Connection>(new Connection(channel, options));
}

std::unique_ptr<grpc::ClientContext> Connection::NewContext(
    bool bounded) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  }
  if (bounded && timeout_ > absl::ZeroDuration() &&
      timeout_ != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  }
  return context;
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& method) {
  if (status.ok()) return absl::OkStatus();
  std::string message = status.error_message();
  if (message.empty() && status.error_code() == grpc::UNIMPLEMENTED) {
    message = "the server does not implement it (older than this lmdbapi?)";
  }
  if (!method.empty()) message = absl::StrCat(method, ": ", message);
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      message);
}

absl::Status CallSerialized(const Connection& connection,
                            const MethodDescriptor& method,
                            SerializedRequestSource next,
                            SerializedResponseSink each) {
  const std::string name =
      absl::StrCat(method.service()->name(), "/", method.name());
  bool unary = !method.client_streaming() && !method.server_streaming();
  GenericCall call(
      connection,
      absl::StrCat("/", method.service()->full_name(), "/", method.name()),
      unary);
  absl::Status error;
  if (call.Start() && SendAll(call, next, &error)) {
    ReadAll(call, each, &error);
  }
  if (!error.ok()) call.Cancel();
  grpc::Status status = call.Finish();
  if (!error.ok()) return error;
  return FromGrpc(status, name);
}

absl::Status CallMethod(const Connection& connection,
                        const MethodDescriptor& method,
                        const Message& prototype_request,
                        const Message& prototype_response, RequestSource next,
                        ResponseSink each) {
  std::unique_ptr<Message> request(prototype_request.New());
  std::unique_ptr<Message> response(prototype_response.New());
  return CallSerialized(
      connection, method,
      [&](std::string* bytes) -> absl::StatusOr<bool> {
        request->Clear();
        absl::StatusOr<bool> more = next(request.get());
        if (more.ok() && *more) request->SerializeToString(bytes);
        return more;
      },
      [&](absl::string_view bytes) {
        response->Clear();
        if (!response->ParseFromArray(bytes.data(),
                                      static_cast<int>(bytes.size()))) {
          return absl::InternalError(absl::StrCat(
              method.service()->name(), "/", method.name(),
              ": the response is not a ", prototype_response.GetTypeName()));
        }
        return each(*response);
      });
}

absl::Status CallUnary(const Connection& connection,
                       const MethodDescriptor& method, const Message& request,
                       Message* response) {
  bool sent = false, received = false;
  absl::Status status = CallMethod(
      connection, method, request, *response,
      [&](Message* next) -> absl::StatusOr<bool> {
        if (sent) return false;
        next->CopyFrom(request);
        return sent = true;
      },
      [&](const Message& got) {
        response->CopyFrom(got);
        received = true;
        return absl::OkStatus();
      });
  if (status.ok() && !received) {
    return absl::InternalError(
        absl::StrCat(method.full_name(), ": the server sent no response"));
  }
  return status;
}

absl::Status CallServerStreaming(const Connection& connection,
                                 const MethodDescriptor& method,
                                 const Message& request,
                                 const Message& prototype_response,
                                 ResponseSink each) {
  bool sent = false;
  return CallMethod(
      connection, method, request, prototype_response,
      [&](Message* next) -> absl::StatusOr<bool> {
        if (sent) return false;
        next->CopyFrom(request);
        return sent = true;
      },
      each);
}

absl::StatusOr<std::string> ToJson(const Message& message) {
  return RecordJson(message);
}

absl::Status FromJson(const std::string& json, Message* message) {
  absl::Status parsed = ParseJson(json, message);
  if (parsed.ok()) return parsed;
  return absl::InvalidArgumentError(absl::StrCat(
      message->GetDescriptor()->name(), " JSON: ", parsed.message()));
}

}  // namespace lmdbapi::cli
