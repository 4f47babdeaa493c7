#include "server/router/shard_router.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "model/request_access.h"
#include "server/observability/log.h"
#include "server/router/fanout_page.h"
#include "server/table/grpc_status.h"
#include "server/table/read_mask.h"
#include "storage/page_token.h"

namespace lmdbapi::server {
namespace {

using google::protobuf::Message;
using google::protobuf::MessageFactory;

// Shard calls wait at most this long when the caller set no deadline.
constexpr auto kDefaultDeadline = std::chrono::seconds(30);
// Threads that wait on shards; each call holds one while it fans out.
constexpr size_t kWorkers = 16;
constexpr storage::TokenSecret kFingerprintKey = {};

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      MessageFactory::generated_factory()->GetPrototype(type)->New());
}

// A shard's answer to a list call, as the merge takes it.
absl::StatusOr<ShardPage> ParseShardPage(
    const google::protobuf::Descriptor* page_type, const grpc::Status& status,
    const grpc::ByteBuffer& body) {
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  std::unique_ptr<Message> page = NewMessage(page_type);
  if (!page->ParseFromString(ToString(body))) {
    return absl::InternalError("a shard's page did not parse");
  }
  const auto* r = page->GetReflection();
  const auto* records = model::PageRecords(page_type);
  ShardPage shard_page;
  shard_page.next_token = model::NextPageToken(*page);
  for (int n = r->FieldSize(*page, records); n > 0; --n) {
    shard_page.records.emplace_back(r->ReleaseLast(page.get(), records));
  }
  std::reverse(shard_page.records.begin(), shard_page.records.end());
  return shard_page;
}

std::string SerializePage(const google::protobuf::Descriptor* page_type,
                          MergedPage merged, const std::string& plan) {
  std::unique_ptr<Message> page = NewMessage(page_type);
  const auto* records = model::PageRecords(page_type);
  for (std::unique_ptr<Message>& record : merged.records) {
    page->GetReflection()->AddAllocatedMessage(page.get(), records,
                                               record.release());
  }
  model::SetNextPageToken(page.get(), merged.next_token);
  model::SetPlan(page.get(), plan);
  return page->SerializeAsString();
}

bool IsRequestError(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::NOT_FOUND ||
         code == grpc::StatusCode::UNAUTHENTICATED ||
         code == grpc::StatusCode::PERMISSION_DENIED;
}

}  // namespace

// One routed call: reads the request, answers it from a worker thread.
class ShardRouter::Call final : public grpc::ServerGenericBidiReactor {
 public:
  Call(ShardRouter* router, grpc::GenericCallbackServerContext* context)
      : router_(router), context_(context) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the call carried no request message"));
      return;
    }
    router_->workers_.Run([this] {
      grpc::Status status = router_->Handle(*context_, request_, &response_);
      if (status.ok()) {
        StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
      } else {
        Finish(status);
      }
    });
  }
  void OnDone() override { delete this; }

 private:
  ShardRouter* router_;
  grpc::GenericCallbackServerContext* context_;
  grpc::ByteBuffer request_, response_;
};

ShardRouter::ShardRouter(const Schema& schema,
                         const std::vector<storage::TableSchema>& tables,
                         Options options)
    : options_(std::move(options)), workers_(kWorkers) {
  for (const ServiceBinding& binding : schema.services) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            binding.full_name);
    auto table = std::find_if(tables.begin(), tables.end(),
                              [&](const storage::TableSchema& t) {
                                return t.name == binding.collection;
                              });
    if (service == nullptr || table == tables.end()) continue;
    routes_[binding.full_name] = Route{service, &*table};
  }
  // Commits are writes: they go to the shard their x-shard-key names (nginx
  // routes them there; the shard refuses a write of another key), so here
  // they are refused like every write without that header.
  if (const auto* service =
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
              schema.transactions.full_name);
      service != nullptr) {
    routes_[schema.transactions.full_name] = Route{service, nullptr};
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  for (const std::string& shard : options_.shards) {
    stubs_.push_back(
        std::make_unique<grpc::GenericStub>(grpc::CreateCustomChannel(
            shard, grpc::InsecureChannelCredentials(), args)));
  }
}

grpc::ServerGenericBidiReactor* ShardRouter::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new Call(this, context);
}

grpc::Status ShardRouter::Handle(
    const grpc::GenericCallbackServerContext& context,
    const grpc::ByteBuffer& request, grpc::ByteBuffer* response) {
  auto start = std::chrono::steady_clock::now();
  const std::string& path = context.method();  // "/pkg.Service/Method"
  size_t slash = path.rfind('/');
  std::string service =
      slash == std::string::npos || slash == 0 ? "" : path.substr(1, slash - 1);
  std::string name = path.substr(slash + 1);
  auto route = routes_.find(service);
  const google::protobuf::MethodDescriptor* method =
      route == routes_.end() ? nullptr
                             : route->second.service->FindMethodByName(name);
  if (method == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("unknown method ", path));
  }
  std::string in = ToString(request), out;
  grpc::Status status;
  if (route->second.table == nullptr) {  // Transactions
    status = grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("x-shard-key: required for ", service, "/", name,
                     ": a commit goes to the shard of its key (one key per "
                     "commit); this router answers only reads"));
  } else if (name == "Get") {
    status = Get(context, in, &out);
  } else if (name == "Count") {
    status = Count(context, *method, in, &out);
  } else if (name == "Filter" || name == "Paginate") {
    status = List(context, route->second, *method, in, &out);
  } else if (method->server_streaming()) {
    status = grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat(service, "/", name,
                     " is not merged across shards: watch each shard (send "
                     "x-shard-key); revisions are per shard"));
  } else {
    status = grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("x-shard-key: required for ", service, "/", name,
                     ": a write goes to the shard of its key; this router "
                     "answers only reads that name no shard"));
  }
  Log(LogLevel::kDebug, "route %s %s %dus", path,
      status.ok() ? "OK" : status.error_message(),
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start)
          .count());
  if (status.ok()) *response = ToBuffer(out);
  return status;
}

std::vector<ShardRouter::Reply> ShardRouter::CallShards(
    const grpc::GenericCallbackServerContext& from, const std::string& method,
    const std::vector<std::pair<size_t, std::string>>& requests) {
  // The calling worker waits on a completion queue of its own.
  grpc::CompletionQueue queue;
  std::vector<Reply> replies(requests.size());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::GenericClientAsyncResponseReader>> calls;
  auto deadline = std::min(from.deadline(),
                           std::chrono::system_clock::now() + kDefaultDeadline);
  for (size_t j = 0; j < requests.size(); ++j) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(deadline);
    // The caller's credential, and a linearizable read's x-consistency
    // (each shard's replica sends it on to its leader). x-min-revision is
    // one shard's revision: it means nothing across shards.
    for (const char* key : {"authorization", "x-consistency"}) {
      auto found = from.client_metadata().find(key);
      if (found == from.client_metadata().end()) continue;
      context->AddMetadata(
          key, std::string(found->second.data(), found->second.size()));
    }
    calls.push_back(stubs_[requests[j].first]->PrepareUnaryCall(
        context.get(), method, ToBuffer(requests[j].second), &queue));
    calls.back()->StartCall();
    calls.back()->Finish(&replies[j].body, &replies[j].status,
                         reinterpret_cast<void*>(j));
    contexts.push_back(std::move(context));
  }
  void* tag;
  bool ok;
  for (size_t pending = requests.size(); pending > 0; --pending) {
    queue.Next(&tag, &ok);  // Finish always completes, ok or not
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  for (size_t j = 0; j < requests.size(); ++j) {
    const grpc::Status& s = replies[j].status;
    if (!s.ok() && !IsRequestError(s.error_code())) {
      // The shard's details (e.g. ErrorInfo MAP_FULL) go on with it.
      replies[j].status = grpc::Status(
          s.error_code(),
          absl::StrCat("shard ", options_.shards[requests[j].first], ": ",
                       s.error_message()),
          s.error_details());
    }
  }
  return replies;
}

grpc::Status ShardRouter::Get(const grpc::GenericCallbackServerContext& context,
                              const std::string& request,
                              std::string* response) {
  std::vector<std::pair<size_t, std::string>> requests;
  for (size_t i = 0; i < stubs_.size(); ++i) requests.emplace_back(i, request);
  std::vector<Reply> replies = CallShards(context, context.method(), requests);
  const Reply* failed = nullptr;
  for (const Reply& reply : replies) {
    if (reply.status.ok()) {
      *response = ToString(reply.body);
      return grpc::Status::OK;
    }
    if (failed == nullptr ||
        failed->status.error_code() == grpc::StatusCode::NOT_FOUND) {
      failed = &reply;  // any error but NOT_FOUND wins: that shard may have it
    }
  }
  return failed->status;
}

grpc::Status ShardRouter::Count(
    const grpc::GenericCallbackServerContext& context,
    const google::protobuf::MethodDescriptor& method, const std::string& bytes,
    std::string* response) {
  std::vector<std::pair<size_t, std::string>> requests;
  for (size_t i = 0; i < stubs_.size(); ++i) requests.emplace_back(i, bytes);
  int64_t total = 0;
  std::string plan;
  for (const Reply& reply : CallShards(context, context.method(), requests)) {
    if (!reply.status.ok()) return reply.status;
    std::unique_ptr<Message> count = NewMessage(method.output_type());
    if (!count->ParseFromString(ToString(reply.body))) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "a shard's count did not parse");
    }
    total += model::Count(*count);
    if (plan.empty()) plan = model::CountPlan(*count);
  }
  std::unique_ptr<Message> out = NewMessage(method.output_type());
  model::SetCount(
      out.get(), total,
      absl::StrCat("fan-out over ", stubs_.size(), " shards: ", plan));
  *response = out->SerializeAsString();
  return grpc::Status::OK;
}

grpc::Status ShardRouter::List(
    const grpc::GenericCallbackServerContext& context, const Route& route,
    const google::protobuf::MethodDescriptor& method, const std::string& bytes,
    std::string* response) {
  std::unique_ptr<Message> request = NewMessage(method.input_type());
  if (!request->ParseFromString(bytes)) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the request is not a valid " + method.input_type()->full_name());
  }
  absl::StatusOr<RecordOrder> order =
      RecordOrder::For(*route.table, request.get());
  if (!order.ok()) return ToGrpcStatus(order.status());
  // Shards send whole records (the merge orders them); trimmed once merged.
  absl::StatusOr<google::protobuf::FieldMask> mask =
      ReadMask(route.table->descriptor, model::ReadMaskPaths(*request));
  if (!mask.ok()) return ToGrpcStatus(mask.status());
  model::ClearReadMask(request.get());
  int32_t asked = model::PageSize(*request);
  size_t page_size = asked == 0 ? options_.default_page_size
                                : std::min<size_t>(static_cast<size_t>(asked),
                                                   options_.max_page_size);
  std::string token = model::PageToken(*request);

  // The query without its position: what a token must have been made for.
  model::ClearPosition(request.get());
  std::string query;
  request->SerializePartialToString(&query);
  uint64_t fingerprint = storage::SipHash24(
      kFingerprintKey, absl::StrCat(context.method(), "\n", query));
  model::SetPageSize(request.get(), static_cast<int32_t>(page_size));

  const auto* page_type = method.output_type();
  FetchPages fetch =
      [&](const std::vector<std::pair<size_t, std::string>>& positions) {
        std::vector<std::pair<size_t, std::string>> calls;
        for (const auto& [shard, shard_token] : positions) {
          model::SetPageToken(request.get(), shard_token);
          calls.emplace_back(shard, request->SerializeAsString());
        }
        std::vector<absl::StatusOr<ShardPage>> pages;
        for (Reply& reply : CallShards(context, context.method(), calls)) {
          pages.push_back(ParseShardPage(page_type, reply.status, reply.body));
        }
        return pages;
      };
  absl::StatusOr<MergedPage> merged = MergeShardPages(
      fingerprint, stubs_.size(), token, page_size, *order, fetch);
  if (!merged.ok()) return ToGrpcStatus(merged.status());
  for (std::unique_ptr<Message>& record : merged->records) {
    ApplyReadMask(*mask, record.get());
  }
  *response =
      SerializePage(page_type, *std::move(merged),
                    absl::StrCat("fan-out over ", stubs_.size(),
                                 " shards: ", order->plan().Describe()));
  return grpc::Status::OK;
}

}  // namespace lmdbapi::server
