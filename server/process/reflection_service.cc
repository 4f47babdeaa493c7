#include "server/process/reflection_service.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

// Answers the requests of one stream. A file is answered with all its
// dependencies, each once, as gRPC's own reflection does.
class Answerer {
 public:
  explicit Answerer(const std::vector<std::string>& services)
      : services_(services) {}

  void Answer(const ServerReflectionRequest& request,
              ServerReflectionResponse* response) {
    response->set_valid_host(request.host());
    *response->mutable_original_request() = request;
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    switch (request.message_request_case()) {
      case ServerReflectionRequest::kListServices:
        for (const std::string& name : services_) {
          response->mutable_list_services_response()->add_service()->set_name(
              name);
        }
        return;
      case ServerReflectionRequest::kFileByFilename:
        return Files(pool->FindFileByName(request.file_by_filename()),
                     request.file_by_filename(), response);
      case ServerReflectionRequest::kFileContainingSymbol:
        return Files(
            pool->FindFileContainingSymbol(request.file_containing_symbol()),
            request.file_containing_symbol(), response);
      case ServerReflectionRequest::kFileContainingExtension: {
        const auto& ask = request.file_containing_extension();
        const auto* type = pool->FindMessageTypeByName(ask.containing_type());
        const auto* extension =
            type == nullptr
                ? nullptr
                : pool->FindExtensionByNumber(type, ask.extension_number());
        return Files(extension == nullptr ? nullptr : extension->file(),
                     absl::StrCat(ask.containing_type(), " extension ",
                                  ask.extension_number()),
                     response);
      }
      case ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const std::string& name = request.all_extension_numbers_of_type();
        const auto* type = pool->FindMessageTypeByName(name);
        if (type == nullptr) return NotFound(name, response);
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        auto* numbers = response->mutable_all_extension_numbers_response();
        numbers->set_base_type_name(name);
        for (const auto* e : extensions)
          numbers->add_extension_number(e->number());
        return;
      }
      default:
        response->mutable_error_response()->set_error_code(
            static_cast<int>(grpc::StatusCode::UNIMPLEMENTED));
        response->mutable_error_response()->set_error_message(
            "this reflection request is not known");
    }
  }

 private:
  void NotFound(const std::string& what, ServerReflectionResponse* response) {
    response->mutable_error_response()->set_error_code(
        static_cast<int>(grpc::StatusCode::NOT_FOUND));
    response->mutable_error_response()->set_error_message(
        absl::StrCat("'", what, "' is not known to this server"));
  }

  void Files(const FileDescriptor* file, const std::string& what,
             ServerReflectionResponse* response) {
    if (file == nullptr) return NotFound(what, response);
    std::set<std::string> sent;
    Add(file, &sent, response->mutable_file_descriptor_response());
  }

  // The file first, then its dependencies not in `sent` yet.
  void Add(const FileDescriptor* file, std::set<std::string>* sent,
           grpc::reflection::v1alpha::FileDescriptorResponse* files) {
    if (!sent->insert(file->name()).second) return;
    google::protobuf::FileDescriptorProto proto;
    file->CopyTo(&proto);
    proto.SerializeToString(files->add_file_descriptor_proto());
    for (int i = 0; i < file->dependency_count(); ++i) {
      Add(file->dependency(i), sent, files);
    }
  }

  const std::vector<std::string>& services_;
};

}  // namespace

grpc::Status ReflectionService::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>*
        stream) {
  if (access_ != nullptr && access_->enabled()) {
    absl::Status allowed = access_->Authenticate(*context).status();
    if (!allowed.ok()) return ToGrpcStatus(allowed);
  }
  Answerer answerer(services_);
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    ServerReflectionResponse response;
    answerer.Answer(request, &response);
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

}  // namespace lmdbapi::server
