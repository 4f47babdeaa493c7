#include "cli/reflection_client.h"

#include "absl/strings/str_cat.h"

namespace lmdbapi::cli {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorProto;
using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

constexpr char kMethod[] = "ServerReflection/ServerReflectionInfo";

// Collects the errors of building a file, for one message.
class Errors : public DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& file, const std::string& element,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    text_ += absl::StrCat(text_.empty() ? "" : "; ", file, ": ", element, ": ",
                          message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

ReflectionClient::ReflectionClient(const Connection* connection)
    : connection_(connection),
      pool_(DescriptorPool::generated_pool()),
      factory_(&pool_) {}

absl::StatusOr<ServerReflectionResponse> ReflectionClient::Ask(
    const ServerReflectionRequest& request) {
  auto context = connection_->NewContext(true);
  auto stub = ServerReflection::NewStub(connection_->channel());
  auto stream = stub->ServerReflectionInfo(context.get());
  ServerReflectionResponse response;
  bool answered =
      stream->Write(request) && stream->WritesDone() && stream->Read(&response);
  grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpc(status, kMethod);
  if (!answered) {
    return absl::UnavailableError(
        absl::StrCat(kMethod, ": ", connection_->address(), " sent no answer"));
  }
  if (response.has_error_response()) {
    const auto& e = response.error_response();
    return absl::Status(static_cast<absl::StatusCode>(e.error_code()),
                        e.error_message());
  }
  return response;
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListServices() {
  ServerReflectionRequest request;
  request.set_list_services("");
  auto response = Ask(request);
  if (!response.ok()) return response.status();
  std::vector<std::string> names;
  for (const auto& s : response->list_services_response().service()) {
    names.push_back(s.name());
  }
  return names;
}

absl::Status ReflectionClient::LoadSymbol(const std::string& symbol) {
  if (pool_.FindFileContainingSymbol(symbol) != nullptr) {
    return absl::OkStatus();
  }
  ServerReflectionRequest request;
  request.set_file_containing_symbol(symbol);
  auto response = Ask(request);
  if (!response.ok()) return response.status();
  std::string first;
  for (const std::string& bytes :
       response->file_descriptor_response().file_descriptor_proto()) {
    FileDescriptorProto proto;
    if (!proto.ParseFromString(bytes)) {
      return absl::InternalError(absl::StrCat(
          kMethod, ": a file descriptor of '", symbol, "' does not parse"));
    }
    if (first.empty()) first = proto.name();
    protos_.emplace(proto.name(), std::move(proto));
  }
  if (first.empty()) {
    return absl::NotFoundError(absl::StrCat("'", symbol, "' has no file"));
  }
  std::set<std::string> visiting;
  return Build(first, &visiting);
}

absl::Status ReflectionClient::Build(const std::string& name,
                                     std::set<std::string>* visiting) {
  if (pool_.FindFileByName(name) != nullptr) return absl::OkStatus();
  auto it = protos_.find(name);
  if (it == protos_.end()) {
    return absl::NotFoundError(
        absl::StrCat("the server did not send '", name, "'"));
  }
  if (!visiting->insert(name).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' imports itself"));
  }
  for (const std::string& dependency : it->second.dependency()) {
    absl::Status built = Build(dependency, visiting);
    if (!built.ok()) return built;
  }
  Errors errors;
  if (pool_.BuildFileCollectingErrors(it->second, &errors) == nullptr) {
    return absl::InternalError(absl::StrCat(
        "the server's '", name, "' does not build: ", errors.text()));
  }
  built_.push_back(name);
  return absl::OkStatus();
}

std::vector<const google::protobuf::FileDescriptor*> ReflectionClient::files()
    const {
  std::vector<const google::protobuf::FileDescriptor*> files;
  for (const std::string& name : built_) {
    files.push_back(pool_.FindFileByName(name));
  }
  return files;
}

}  // namespace lmdbapi::cli
