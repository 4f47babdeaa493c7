#include "server/table/parse_errors.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "server/table/grpc_status.h"

namespace lmdbapi::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The field of the last string protobuf refused on this thread.
thread_local std::string invalid_utf8_field;
google::protobuf::LogHandler* previous_handler = nullptr;

// protobuf's words: "String field 'pkg.Message.field' contains invalid
// UTF-8 data when parsing a protocol buffer. ..."
void NoteOrPass(google::protobuf::LogLevel level, const char* filename,
                int line, const std::string& message) {
  constexpr absl::string_view kHead = "String field '";
  if (absl::StartsWith(message, kHead) &&
      absl::StrContains(message, "invalid UTF-8 data when parsing")) {
    absl::string_view rest = absl::string_view(message).substr(kHead.size());
    invalid_utf8_field = std::string(rest.substr(0, rest.find('\'')));
    return;
  }
  if (previous_handler != nullptr) {
    previous_handler(level, filename, line, message);
  }
}

// What gRPC 1.51 answers, with no message, when a request does not parse:
// UNIMPLEMENTED from a callback handler, INTERNAL from a synchronous one
// (GenericDeserialize: the message is protobuf's InitializationErrorString,
// empty for proto3). The handler did not run, so no status of ours is taken
// for one of these: every status we send has a message.
bool IsParseFailure(const grpc::Status& status) {
  return status.error_message().empty() &&
         (status.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
          status.error_code() == grpc::StatusCode::INTERNAL);
}

class ParseErrorRewriter final : public grpc::experimental::Interceptor {
 public:
  explicit ParseErrorRewriter(const char* method) : method_(method) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (IsParseFailure(status)) {
        methods->ModifySendStatus(
            ToGrpcStatus(ParseError(method_, TakeInvalidUtf8Field())));
      }
    }
    methods->Proceed();
  }

 private:
  const char* method_;
};

class ParseErrorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ParseErrorFactory(absl::flat_hash_set<std::string> methods)
      : methods_(std::move(methods)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == nullptr || !methods_.contains(info->method())) {
      return nullptr;
    }
    return new ParseErrorRewriter(info->method());
  }

 private:
  const absl::flat_hash_set<std::string> methods_;  // "/pkg.Service/Method"
};

}  // namespace

std::string TakeInvalidUtf8Field() {
  std::string field;
  field.swap(invalid_utf8_field);
  return field;
}

void NoteInvalidUtf8Fields() {
  static const bool installed = [] {
    previous_handler = google::protobuf::SetLogHandler(&NoteOrPass);
    return true;
  }();
  (void)installed;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ParseErrorInterceptor(const std::vector<std::string>& services,
                      const absl::flat_hash_set<std::string>& raw) {
  absl::flat_hash_set<std::string> methods;
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
      std::string method =
          absl::StrCat("/", name, "/", service->method(i)->name());
      if (!raw.contains(method)) methods.insert(std::move(method));
    }
  }
  return std::make_unique<ParseErrorFactory>(std::move(methods));
}

absl::Status ParseError(absl::string_view method, absl::string_view field) {
  if (field.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request to ", method, " does not parse as its message"));
  }
  absl::string_view name = field.substr(field.rfind('.') + 1);
  return absl::InvalidArgumentError(absl::StrCat(
      "field '", name, "' (", field,
      ") is not valid UTF-8: proto3 strings must be; send binary data in a "
      "bytes field"));
}

std::string MethodPath::Joined() const {
  if (service.empty()) return std::string(method);
  return absl::StrCat("/", service, "/", method);
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, MethodPath method,
                          google::protobuf::Message* request) {
  ByteBufferView view;
  return ParseRequest(bytes, method, request, &view);
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, MethodPath method,
                          google::protobuf::Message* request,
                          ByteBufferView* view) {
  TakeInvalidUtf8Field();  // forget what another parse on this thread noted
  if (view->Read(bytes) &&
      request->ParseFromArray(view->bytes().data(),
                              static_cast<int>(view->bytes().size()))) {
    return absl::OkStatus();
  }
  return ParseError(method.Joined(), TakeInvalidUtf8Field());
}

}  // namespace lmdbapi::server
